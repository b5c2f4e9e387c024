import { ErrorCode, type ReplicaHandoffRequest, type Reply, type TrimRequest, ZkvError } from "@zkv/protocol";
import type { ClusterView } from "../cluster/ownership.js";
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
 * REPLICA_HANDOFF: sends each key this node holds (from just after `after`) to the replicas that
 * should have it and may not: with `run`, the replicas the key gains under the placement being
 * migrated to; with `to`, node `to` (bootstrapping) if it is one of the key's replicas. Every
 * replica of the key does this, so the receiver gets every copy there is and keeps the newest:
 * one stale copy cannot win. Tombstones go last, in the call that finishes the scan, so a
 * deletion reaches the receiver too.
 */
export async function handoff(request: ReplicaHandoffRequest, ctx: HandoffContext): Promise<Reply> {
  const targets =
    request.to !== undefined
      ? bootstrapping(request.to, ctx)
      : request.run !== undefined && request.run === ctx.cluster.replication.tag
        ? allReplicas(ctx)
        : gainedReplicas(request.run, ctx);
  const limit = request.limit ?? DEFAULT_HANDOFF_LIMIT;
  const sends: Array<Promise<void>> = [];
  const handOff = (key: string) => {
    const copy = ctx.store.copy(key);
    if (copy === undefined) return;
    for (const target of targets(key)) sends.push(ctx.replicator.push(target, key, copy));
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
  await Promise.all(sends); // a replica that did not take its copy fails the call: the caller retries
  return { scanned, pushed: sends.length, ...(finished || last === undefined ? {} : { after: last }) };
}

/** The replicas each key gains in migration `run`. */
function gainedReplicas(run: string | undefined, ctx: HandoffContext): (key: string) => string[] {
  const m = ctx.cluster.migration;
  const current = ctx.cluster.placement;
  if (m === undefined || current === undefined || m.run !== run) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, `no migration of run ${run} in progress here`, {
      field: "run",
    });
  }
  const n = ctx.cluster.replicas;
  return (key) => {
    const before = current.preferenceList(key, n);
    // A key written during the rebalance also reached the replicas it gains (this one among
    // them, if it holds the key only for that reason): nothing to send to itself.
    return m.next.preferenceList(key, n).filter((g) => !before.includes(g) && g !== ctx.nodeId);
  };
}

/**
 * During a change of the replication factor (`run` is the tag of the state this node is in,
 * `<run>:<phase>`): every other replica each key has under the new setting. All of them, not only
 * the ones it gains: a replica that missed a write gets it too, so once every old replica has
 * handed off, each new replica holds the newest copy there is. A node not
 * in that state yet answers INVALID_REQUEST, which tells `zkv set-replication` to wait for it.
 */
function allReplicas(ctx: HandoffContext): (key: string) => string[] {
  if (ctx.cluster.placement === undefined) {
    throw new ZkvError(ErrorCode.TRY_AGAIN, "node is starting: cluster placement not known yet");
  }
  const { cluster, nodeId } = ctx;
  return (key) => {
    // Only the replicas reads follow hand off: while copying, the old ones, which hold every
    // key written before the change. A new replica holds only what it was sent: sending that
    // on again would double the work.
    if (!cluster.readReplicasOf(key)?.includes(nodeId)) return [];
    return (cluster.nextReplicasOf(key) ?? []).filter((r) => r !== nodeId);
  };
}

/** `to`, for each key it replicates (now or after the rebalance in progress). */
function bootstrapping(to: string, ctx: HandoffContext): (key: string) => string[] {
  if (to === ctx.nodeId) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "a node cannot hand off to itself", { field: "to" });
  }
  if (ctx.cluster.placement === undefined) {
    throw new ZkvError(ErrorCode.TRY_AGAIN, "node is starting: cluster placement not known yet");
  }
  return (key) => (ctx.cluster.replicasOf(key)?.includes(to) ? [to] : []);
}

/**
 * TRIM: forgets every key this node no longer replicates, once the rebalance (or the change of
 * the replication factor) has ended. A key this node still owes a replica (a hint: the replica
 * missed a write this node coordinated) is delivered first, or the trim fails with TRY_AGAIN and
 * drops nothing: this node's copy may be the only one that replica can get.
 */
export async function trim(_request: TrimRequest, ctx: HandoffContext): Promise<Reply> {
  const current = ctx.cluster.placement;
  if (ctx.cluster.migration !== undefined || current === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "TRIM needs a finished rebalance (MIGRATION end)");
  }
  if (ctx.cluster.replication.changing) {
    throw new ZkvError(
      ErrorCode.TRY_AGAIN,
      "the replication factor is changing: trim once the change is over",
    );
  }
  const n = ctx.cluster.replicas;
  const held = [...ctx.store.scan(undefined)].map((e) => e.key);
  held.push(...ctx.store.tombstoneKeys());
  const gone = new Set(held.filter((key) => !current.preferenceList(key, n).includes(ctx.nodeId)));
  await ctx.replicator.hints.deliver(gone);
  for (const key of gone) ctx.store.drop(key);
  return { ok: true, count: gone.size };
}
