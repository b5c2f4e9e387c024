/**
 * A node's storage: the Store interface, its in-memory and durable engines and their errors, the
 * versions every copy carries, the rules a write must pass, and a node's data dir.
 */
export { hasCompleteMarker, writeCompleteMarker } from "./data-dir-marker.js";
export { DurableStore, type DurableStoreOptions } from "./durable-store.js";
export { DataDirError, type DataDirErrorCode, StoreClosedError, StoreCommitError } from "./errors.js";
export type { HintLog } from "./hint-set.js";
export { LOCK_FILE } from "./lock.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { DEFAULT_SYNC_POLICY, keysHeld, nodeDir, openNodeStore, retireNodeDir } from "./node-store.js";
export { Reclaimer, type ReclaimerOptions } from "./reclaimer.js";
export {
  decodeKey,
  decodeRecord,
  encodeKey,
  encodeTombstone,
  encodeValue,
  RECORD_HEADER_BYTES,
  RecordFormatError,
  RecordKind,
  type StoredRecord,
} from "./record.js";
export type { DiskStats, Entry, Reclaimed, Store, StoredEntry } from "./store.js";
export { SYNC_POLICIES, type SyncPolicy } from "./sync-policy.js";
export { copyOf, HybridClock, isLive, newest, supersedes, type Versioned } from "./versions.js";
export {
  type BudgetContext,
  checkBudget,
  checkCondition,
  expiryOf,
  growthOf,
  makeRoom,
  type RoomContext,
} from "./write-rules.js";
