import type { ReplicaGetReply } from "@zkv/protocol";
import type { ZkvClient } from "../../src/index.js";

/**
 * Each of `keys`' copy on `node` (REPLICA_GET: its own copy, tombstones included, no quorum, no
 * repair): value (null for a tombstone) and version, by key; a key it lacks is absent.
 */
export async function copiesOn(client: ZkvClient, node: string, keys: readonly string[]) {
  const reply = (await client.request(node, { op: "REPLICA_GET", keys: [...keys] })) as ReplicaGetReply;
  return new Map(reply.entries.map((e) => [e.key, { value: e.value ?? null, version: e.version }]));
}
