import type { StatsReply } from "@zkv/protocol";
import type { ZkvClient } from "./client.js";

/** One node of the cluster, as `zkv nodes` and the dashboard show it: desired, live, or both. */
export interface NodeRow {
  readonly id: string;
  /** "member", "adding", "removing", or "no" for a live node the placement does not name. */
  readonly desired: string;
  readonly live: boolean;
  readonly address: string | undefined;
  readonly health: string | undefined;
  readonly weight: number;
  /** From the node's STATS; undefined when it could not be asked. */
  readonly stats: Omit<StatsReply, "id" | "node"> | undefined;
}

/** Joins the placement record (desired) with Consul's registrations (live) and each node's STATS. */
export async function nodeRows(client: ZkvClient): Promise<NodeRow[]> {
  const record = client.placementRecord;
  const desired = new Map<string, string>();
  for (const m of record?.members ?? client.members) desired.set(m.id, "member");
  const t = record?.transition;
  if (t) desired.set(t.node, t.kind === "add" ? "adding" : "removing");
  const ids = [...new Set([...desired.keys(), ...client.members.map((m) => m.id)])].sort();
  return Promise.all(
    ids.map(async (id) => {
      const live = client.members.find((m) => m.id === id);
      let stats: NodeRow["stats"];
      if (live && live.health !== "critical") {
        try {
          const {
            id: _id,
            node: _node,
            ...rest
          } = (await client.request(id, {
            op: "STATS",
          })) as StatsReply;
          stats = rest;
        } catch {
          stats = undefined;
        }
      }
      return {
        id,
        desired: desired.get(id) ?? "no",
        live: Boolean(live),
        address: live ? `${live.address}:${live.port}` : undefined,
        health: live?.health,
        weight: record?.members.find((m) => m.id === id)?.weight ?? live?.weight ?? 1,
        stats,
      };
    }),
  );
}
