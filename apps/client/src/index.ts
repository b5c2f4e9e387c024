/**
 * zkv's client library: `ZkvClient` routes keys to their nodes and follows membership; the rest
 * is what the `zkv` CLI is built from.
 */
export { type ClientOptions, type ClusterSource, ZkvClient } from "./client.js";
export { ExitCode } from "./exit-codes.js";
export { type LoadOptions, type LoadResult, runLoad } from "./load.js";
export { mergeSorted } from "./merge.js";
export { NodeConnection } from "./node-connection.js";
export type { PutOptions, VersionedValue } from "./put-options.js";
export { placementFor, staticMembers } from "./routing.js";
export { type ClientCurve, type NodeSecurity, nodeSecurity } from "./security.js";
