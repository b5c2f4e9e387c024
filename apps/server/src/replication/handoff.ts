import { ErrorCode, type ReplicaHandoffRequest, type Reply, type TrimRequest, ZkvError } from "@zkv/protocol";
import type { ClusterView } from "../ownership.js";
import type { Store } from "../store/index.js";
import type { Replicator } from "./replicator.js";

/** Keys handed off per REPLICA_HANDOFF when the request names no limit. */
const DEFAULT_HANDOFF_LIMIT = 2000;

/** What moving replicas needs of a node. */
export interface HandoffContext {
  readonly nodeId: string;
  readonly store: Store;
  readonly cluster: ClusterView;
  readonly replicator: Replicator;
}

/**
 * REPLICA_HANDOFF: sends each key this node holds (from just after `after`) to the replicas the
 * key gains under the placement being migrated to. Every replica of the key does this, so a new
 * replica receives every copy there is and keeps the newest: one stale copy cannot win. Tombstones
 * go last, in the call that finishes the scan, so a deletion reaches the new replicas too.
 */
export async function handoff(request: ReplicaHandoffRequest, ctx: HandoffContext): Promise<Reply> {
  const m = ctx.cluster.migration;
  const current = ctx.cluster.placement;
  if (m === undefined || current === undefined || m.run !== request.run) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, `no migration of run ${request.run} in progress here`, {
      field: "run",
    });
  }
  const n = ctx.cluster.replicas;
  const limit = request.limit ?? DEFAULT_HANDOFF_LIMIT;
  const sends: Array<Promise<void>> = [];
  const handOff = (key: string) => {
    const copy = ctx.store.copy(key);
    if (copy === undefined) return;
    const before = current.preferenceList(key, n);
    for (const gained of m.next.preferenceList(key, n)) {
      // A key written during the rebalance also reached the replicas it gains (this one among
      // them, if it holds the key only for that reason): nothing to send to itself.
      if (!before.includes(gained) && gained !== ctx.nodeId) {
        sends.push(ctx.replicator.push(gained, key, copy));
      }
    }
  };
  let scanned = 0;
  let last: string | undefined;
  for (const entry of ctx.store.scan(request.after)) {
    if (scanned === limit) break;
    handOff(entry.key);
    last = entry.key;
    scanned++;
  }
  const finished = scanned < limit;
  if (finished) for (const key of ctx.store.tombstoneKeys()) handOff(key);
  await Promise.all(sends); // a replica that did not take its copy fails the call: the mover retries
  return { scanned, pushed: sends.length, ...(finished || last === undefined ? {} : { after: last }) };
}

/** TRIM: forgets every key this node no longer replicates, once the rebalance has ended. */
export function trim(_request: TrimRequest, ctx: HandoffContext): Reply {
  const current = ctx.cluster.placement;
  if (ctx.cluster.migration !== undefined || current === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "TRIM needs a finished rebalance (MIGRATION end)");
  }
  const n = ctx.cluster.replicas;
  const gone = [...ctx.store.scan(undefined)].map((e) => e.key);
  gone.push(...ctx.store.tombstoneKeys());
  let count = 0;
  for (const key of gone) {
    if (current.preferenceList(key, n).includes(ctx.nodeId)) continue;
    ctx.store.drop(key);
    count++;
  }
  return { ok: true, count };
}
