/**
 * @zkv/membership: everything zkv says to Consul. Nodes register and heartbeat; launchers,
 * nodes and clients read cluster settings from KV and get membership pushed to them through
 * blocking queries.
 */

/** Re-exported because ClusterSettings reads and writes it; defined by @zkv/hashring. */
export type { HashingMode } from "@zkv/hashring";
export {
  ConsulAddressError,
  type ConsulConfig,
  consulAdvice,
  consulConfigFromEnv,
  createConsulClient,
  DEFAULT_CONSUL_ADDR,
  describeConsulError,
  formatConsulAddr,
  parseConsulAddr,
} from "./config.js";
export { ConsulPermissionError, ConsulUnavailableError, InvalidSettingError } from "./errors.js";
export { ConsulLock, LockHeldError, REBALANCE_LOCK_KEY } from "./lock.js";
export { type MembershipLogger, silentLogger } from "./logger.js";
export {
  CURVE_KEY_META,
  checkIdOf,
  type Health,
  type Member,
  membersFromHealth,
  membershipFingerprint,
  REPLICA_STATE_META,
  SERVICE_NAME,
  serviceIdOf,
} from "./members.js";
export { listMembers, MembershipWatcher, type MembershipWatchOptions } from "./membership.js";
export {
  type CompletedChange,
  type DesiredNode,
  desiredNodes,
  initialPlacement,
  isMoving,
  PLACEMENT_KEY,
  type PlacementRecord,
  parsePlacementRecord,
  type Transition,
} from "./placement-record.js";
export {
  ProgressPublisher,
  parseRebalanceProgress,
  REBALANCE_PROGRESS_KEY,
  type RebalanceProgress,
  watchRebalanceProgress,
} from "./rebalance-progress.js";
export { deregisterNode, NodeRegistration, type RegistrationOptions } from "./registration.js";
export {
  type EffectiveReplication,
  effectiveReplication,
  parseReplicationRecord,
  type ReplicationChange,
  type ReplicationRecord,
} from "./replication-change.js";
export {
  NO_REPLICATION,
  parseReplication,
  REPLICATION_KEY,
  type Replication,
  replication,
} from "./replication-setting.js";
export {
  CLUSTER_SIZE_KEY,
  ClusterSettings,
  CURVE_ALLOWED_CLIENTS_KEY,
  HASHING_KEY,
  KV_PREFIX,
  parseClusterSize,
  parseHashing,
} from "./settings.js";
export { BlockingWatch, type BlockingWatchOptions } from "./watch.js";
