import type { ZkvClient } from "./client.js";

/** One row of `zkv nodes`: every node that is desired, live, or both. */
export async function nodeRows(client: ZkvClient) {
  const record = client.placementRecord;
  const desired = new Map<string, string>();
  for (const m of record?.members ?? client.members) desired.set(m.id, "member");
  const t = record?.transition;
  if (t?.kind === "add") desired.set(t.node, "adding");
  if (t?.kind === "remove") desired.set(t.node, "removing");
  const ids = [...new Set([...desired.keys(), ...client.members.map((m) => m.id)])].sort();
  const rows = [];
  for (const id of ids) {
    const live = client.members.find((m) => m.id === id);
    const weight = record?.members.find((m) => m.id === id)?.weight ?? live?.weight ?? 1;
    let keys: number | null = null;
    if (live && live.health !== "critical") {
      try {
        keys = 0;
        for await (const _ of client.scanNode(id, 10_000)) keys++;
      } catch {
        keys = null;
      }
    }
    rows.push({
      id,
      desired: desired.get(id) ?? "no",
      live: Boolean(live),
      address: live ? `${live.address}:${live.port}` : undefined,
      health: live?.health,
      weight,
      keys,
    });
  }
  return rows;
}
