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

/** Those of `keys` whose copies (value and version) differ between `nodes`, or are missing on one. */
export async function disagreeingKeys(
  client: ZkvClient,
  nodes: readonly string[],
  keys: readonly string[],
): Promise<string[]> {
  const copies = await Promise.all(nodes.map((id) => copiesOn(client, id, keys)));
  const copy = (c: (typeof copies)[number], k: string) => {
    const found = c.get(k);
    return found && `${found.value}@${found.version}`;
  };
  return keys.filter((k) =>
    copies.some((c) => copy(c, k) === undefined || copy(c, k) !== copy(copies[0]!, k)),
  );
}
