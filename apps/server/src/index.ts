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
export { type Entry, MemoryStore, type Store } from "./store.js";
export { decideZap, ZAP_DOMAIN, ZAP_ENDPOINT } from "./zap.js";
