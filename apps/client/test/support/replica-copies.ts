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

/**
 * Those of `keys` not held exactly by their replicas (`client.replicasOf`), alike: a copy missing
 * on one of them, two of them differing in value or version, or a live copy on any other of
 * `members`.
 */
export async function keysOffTheirReplicas(
  client: ZkvClient,
  members: readonly string[],
  keys: readonly string[],
): Promise<string[]> {
  const held = new Map(
    await Promise.all(members.map(async (id) => [id, await copiesOn(client, id, keys)] as const)),
  );
  return keys.filter((key) => {
    const replicas = client.replicasOf(key);
    const copies = replicas.map((id) => {
      const copy = held.get(id)?.get(key);
      return copy && `${copy.value}@${copy.version}`;
    });
    if (copies.some((c) => c === undefined || c !== copies[0])) return true;
    return members.some((id) => !replicas.includes(id) && (held.get(id)?.get(key)?.value ?? null) !== null);
  });
}
