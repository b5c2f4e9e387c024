import type { DesiredNode, HashingMode, PlacementRecord } from "@zkv/membership";
import type { PlacementSpec } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";
import { adminRequest, OP_TIMEOUT_MS } from "./admin-request.js";

/** A placement as the MIGRATION op carries it. */
const spec = (hashing: HashingMode, nodes: readonly DesiredNode[]): PlacementSpec => ({
  hashing,
  members: nodes.map((n) => ({ id: n.id, weight: n.weight })),
});

/**
 * MIGRATION begin to every node involved (but those `skip` names): where keys are going, and from
 * which placement.
 */
export async function announce(
  client: ZkvClient,
  record: PlacementRecord,
  hashing: HashingMode,
  skip: ReadonlySet<string> = new Set(),
) {
  const t = record.transition!;
  const everyone = [...new Set([...record.members, ...t.next].map((n) => n.id))].filter(
    (id) => !skip.has(id),
  );
  const placement = spec(hashing, t.next);
  await Promise.all(
    everyone.map((node) =>
      adminRequest(client, node, {
        op: "MIGRATION",
        phase: "begin",
        run: t.run,
        epoch: record.epoch,
        placement,
        current: spec(hashing, record.members),
      }),
    ),
  );
}

/** How long a member of the new placement may take to hear the move is over (paused, critical). */
const END_PATIENCE_MS = 30_000;

/**
 * Tells nodes the move is over: `placement` is now the cluster's, at `epoch`. Every member of the
 * new placement must acknowledge, retried for up to 30 s (one that is paused or briefly critical
 * must still hear it before its copies are trimmed); the others (a removed node on its way out)
 * are told if they can hear it. Consul pushes the same news; this makes it prompt and certain.
 */
export async function finishMove(
  client: ZkvClient,
  nodes: readonly string[],
  members: ReadonlySet<string>,
  run: string,
  epoch: number,
  placement: PlacementSpec,
): Promise<void> {
  const end = (node: string) =>
    client.request(node, { op: "MIGRATION", phase: "end", run, epoch, placement }, OP_TIMEOUT_MS);
  const deadline = Date.now() + END_PATIENCE_MS;
  await Promise.all(
    nodes.map(async (node) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await end(node);
        } catch (err) {
          if (!members.has(node)) return undefined;
          if (Date.now() >= deadline) throw err;
          await new Promise((r) => setTimeout(r, Math.min(200 * attempt, 1000)));
        }
      }
    }),
  );
}
