import type { HashingMode, PlacementRecord } from "@zkv/membership";
import type { MigrateCountReply, ReplicaHandoffReply, StatsReply } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";
import { adminRequest } from "./admin-request.js";
import { announce } from "./migration.js";
import type { MoveProgress, MoveResult } from "./mover.js";

/** Keys one REPLICA_HANDOFF call goes through. */
const HANDOFF_KEYS = 2000;

/**
 * Moves replicas for a cluster with more than one copy per key: every node of the current
 * placement hands each key it holds to the replicas the key gains (node to node, so the data
 * crosses the network once per copy, not through this process), while coordinators write to old
 * and new replicas alike. Nothing is deleted here: trimReplicas() does that once the new
 * placement is the cluster's.
 */
export async function moveReplicas(
  client: ZkvClient,
  record: PlacementRecord,
  hashing: HashingMode,
  onProgress: (p: MoveProgress) => void = () => {},
): Promise<MoveResult> {
  const t = record.transition!;
  // A member that is down (its disk lost, say) hands nothing off: every key it held has other
  // replicas, and they hand it off instead.
  const down = new Set(
    record.members
      .filter((m) => !client.members.some((live) => live.id === m.id && live.health !== "critical"))
      .map((m) => m.id),
  );
  await announce(client, record, hashing, down);
  const sources = record.members.filter((m) => !down.has(m.id)).map((m) => m.id);
  const { scanned, pushed } = await handOffAll(client, sources, t.run, onProgress);
  return { planned: pushed, moved: pushed, swept: 0, vanished: 0, scanned, transfers: [] };
}

/**
 * Has every node of `sources` hand off each key it holds (REPLICA_HANDOFF with `run`, page by
 * page, all nodes at once), reporting keys scanned of the total the nodes hold. Resolves to the
 * keys scanned and the copies pushed.
 */
export async function handOffAll(
  client: ZkvClient,
  sources: readonly string[],
  run: string,
  onProgress: (p: MoveProgress) => void = () => {},
): Promise<{ scanned: number; pushed: number }> {
  const counts = await Promise.all(
    sources.map((id) => adminRequest(client, id, { op: "STATS" }).then((r) => (r as StatsReply).keys)),
  );
  const total = counts.reduce((a, b) => a + b, 0);
  let scanned = 0;
  let pushed = 0;
  onProgress({ phase: "moving", done: 0, total });
  await Promise.all(
    sources.map(async (id) => {
      let after: string | undefined;
      do {
        const reply = await adminRequest(client, id, {
          op: "REPLICA_HANDOFF",
          run,
          limit: HANDOFF_KEYS,
          ...(after === undefined ? {} : { after }),
        });
        const r = reply as ReplicaHandoffReply;
        scanned += r.scanned;
        pushed += r.pushed;
        after = r.after;
        onProgress({ phase: "moving", done: Math.min(scanned, total), total: Math.max(total, scanned) });
      } while (after !== undefined);
    }),
  );
  return { scanned, pushed };
}

/** After the switch: every node of the new placement forgets the keys it no longer replicates. */
export async function trimReplicas(client: ZkvClient, nodes: readonly string[]): Promise<number> {
  const counts = await Promise.all(
    nodes.map((node) =>
      adminRequest(client, node, { op: "TRIM" }).then((r) => (r as MigrateCountReply).count),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}
