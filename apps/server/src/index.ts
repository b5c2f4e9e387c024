/**
 * The zkv server as a library: a node, its store and request handling, and the launcher, so
 * tests and embedders can run them in-process. The command line lives in main.ts.
 */

export { LaunchRefusedError } from "./launcher/launch-placement.js";
export { ClusterLauncher, type LauncherOptions, type NodeSpec } from "./launcher/launcher.js";
export { createLogger, type Logger } from "./logger.js";
export { ZkvNode } from "./node/node.js";
export type { NodeOptions } from "./node/node-options.js";
export { DEFAULT_SOCKET_LIMITS, type SocketLimits } from "./node/socket-options.js";
export { pingNode, waitForPings } from "./ping.js";
export { getAllPage } from "./requests/get-all.js";
export { type HandlerContext, handleRequest } from "./requests/handler.js";
export { CurveGuard, type NodeCurveOptions } from "./security/curve-guard.js";
export { decideZap, ZAP_DOMAIN, ZAP_ENDPOINT } from "./security/zap.js";
export {
  DataDirError,
  DurableStore,
  type DurableStoreOptions,
  type Entry,
  MemoryStore,
  Reclaimer,
  RecordFormatError,
  type Store,
  StoreClosedError,
  StoreCommitError,
  SYNC_POLICIES,
  type SyncPolicy,
} from "./store/index.js";
