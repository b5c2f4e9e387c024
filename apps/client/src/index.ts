/**
 * zkv's client library: `ZkvClient` routes keys to their nodes and follows membership. It has two
 * layers: lib/cluster/ (membership, placement, connections, CURVE) and lib/requests/ (the request
 * API on top). The `zkv` CLI (src/commands/) is an application of it, not part of it.
 */
export { NodeConnection } from "./lib/cluster/node-connection.js";
export { placementFor, staticMembers } from "./lib/cluster/placement.js";
export { type ClientCurve, type NodeSecurity, nodeSecurity } from "./lib/cluster/security.js";
export type { EntrySink } from "./lib/requests/bulk.js";
export { type ClientOptions, type ClusterSource, ZkvClient } from "./lib/requests/client.js";
export { type LoadOptions, type LoadResult, runLoad } from "./lib/requests/load.js";
export { mergeSorted } from "./lib/requests/merge.js";
export type { PutOptions, PutResult, VersionedValue } from "./lib/requests/put-options.js";
export type { RestoreCounts, VersionedEntry } from "./lib/requests/versioned-bulk.js";
