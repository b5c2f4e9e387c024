/**
 * The zkv server as a library: a node, its store and request handling, and the launcher, so
 * tests and embedders can run them in-process. The command line lives in main.ts.
 */

export { CurveGuard, type NodeCurveOptions } from "./curve-guard.js";
export { ExitCode } from "./exit-codes.js";
export { getAllPage, type HandlerContext, handleRequest } from "./handler.js";
export { ClusterLauncher, type LauncherOptions, type NodeSpec } from "./launcher.js";
export { createLogger, type Logger } from "./logger.js";
export { ZkvNode } from "./node.js";
export type { NodeOptions } from "./node-options.js";
export { pingNode, waitForPings } from "./ping.js";
export { DEFAULT_SOCKET_LIMITS, type SocketLimits } from "./socket-options.js";
export {
  DataDirError,
  DurableStore,
  type DurableStoreOptions,
  type Entry,
  MemoryStore,
  Reclaimer,
  type Store,
  SYNC_POLICIES,
  type SyncPolicy,
} from "./store/index.js";
export { decideZap, ZAP_DOMAIN, ZAP_ENDPOINT } from "./zap.js";
