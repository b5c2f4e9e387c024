import { randomUUID } from "node:crypto";
import {
  type ClusterSettings,
  ConsulUnavailableError,
  type PlacementRecord,
  type Transition,
} from "@zkv/membership";
import { type MembershipChange, nextMembers, RebalanceError, sameChange } from "./plan.js";

/** How long the final record write keeps trying through a Consul outage before giving up. */
const COMMIT_PATIENCE_MS = 60_000;

/**
 * Where a run starts: a new transition, one left unfinished by an earlier run (resumed), or a
 * change the record already completed, whose run died after committing it (only its clean-up,
 * telling the nodes and trimming replicas, is left to do).
 */
export type RunStart =
  | { readonly kind: "transition"; readonly record: PlacementRecord; readonly resumed: boolean }
  | { readonly kind: "completed"; readonly record: PlacementRecord };

/**
 * Writes the transition into the placement record, adopts the unfinished one it matches, or
 * recognises the change as already completed. An add starts `joining` (nothing moves until the
 * node serves); a remove starts `moving`.
 */
export async function startTransition(
  settings: ClusterSettings,
  change: MembershipChange,
  replicas: number,
): Promise<RunStart> {
  const stored = await settings.placementRecord();
  const current = stored.record ?? (await settings.placement());
  if (!current) throw new RebalanceError("NO_CLUSTER", "no cluster: cluster_size is not set in Consul");
  const run = randomUUID();
  if (current.transition) {
    if (!sameChange(current, change)) {
      const t = current.transition;
      throw new RebalanceError(
        "REBALANCE_IN_PROGRESS",
        `an unfinished rebalance is recorded (${t.kind} ${t.node}); run \`zkv ${t.kind}-node ${t.kind === "add" ? `--id ${t.node}` : t.node}\` to finish it first`,
      );
    }
    const record = { ...current, transition: { ...current.transition, run } };
    await writeOrThrow(settings, record, stored.index);
    return { kind: "transition", record, resumed: true };
  }
  if (alreadyDone(current, change)) return { kind: "completed", record: current };
  const { node, next } = nextMembers(current, change, replicas);
  const transition: Transition = {
    kind: change.kind,
    node,
    run,
    next,
    startedAt: new Date().toISOString(),
    phase: change.kind === "add" ? "joining" : "moving",
  };
  const { completed: _, ...rest } = current;
  const record: PlacementRecord = { ...rest, transition };
  await writeOrThrow(settings, record, stored.index);
  return { kind: "transition", record, resumed: false };
}

/**
 * The record's last completed change is this one: its re-run has only clean-up left. A plain
 * `add-node` (no id) matches only an add whose clean-up never finished: after that, the same
 * command means "add another node".
 */
function alreadyDone(record: PlacementRecord, change: MembershipChange): boolean {
  const c = record.completed;
  if (!c || c.kind !== change.kind) return false;
  if (change.kind === "remove") return c.node === change.id;
  return change.id === undefined ? c.finished !== true : change.id === c.node;
}

/** Marks the completed change's clean-up as done; a record that moved on meanwhile is left alone. */
export async function markFinished(settings: ClusterSettings, record: PlacementRecord): Promise<void> {
  const { record: stored, index } = await settings.placementRecord();
  const c = stored?.completed;
  if (!stored || !c || c.run !== record.completed?.run || c.finished || stored.transition) return;
  await settings.writePlacement({ ...stored, completed: { ...c, finished: true } }, index);
}

/** Moves a joining transition to `moving`, once its node serves. */
export async function startMoving(
  settings: ClusterSettings,
  record: PlacementRecord,
): Promise<PlacementRecord> {
  const t = record.transition!;
  if (t.phase !== "joining") return record;
  const moving = { ...record, transition: { ...t, phase: "moving" as const } };
  const { record: stored, index } = await settings.placementRecord();
  if (stored?.transition?.run !== t.run) throw new Error("the placement record changed under the lock");
  await writeOrThrow(settings, moving, index);
  return moving;
}

/**
 * Takes back an add whose node never came to serve. Safe only while it is joining: no key has
 * been routed to the new node, so the old placement still holds everything.
 */
export async function rollBackJoin(settings: ClusterSettings, record: PlacementRecord): Promise<void> {
  const { record: stored, index } = await settings.placementRecord();
  if (stored?.transition?.run !== record.transition?.run || stored?.transition?.phase !== "joining") return;
  const { transition: _, ...rest } = stored;
  await writeOrThrow(settings, rest, index);
}

/**
 * Makes the transition's `next` the cluster's placement at epoch + 1, in one check-and-set write.
 * A Consul outage here is waited out (up to a minute): the data has moved, and giving up would
 * leave the finished move for a re-run to redo. A write whose reply was lost is recognised on
 * the re-read by its run id.
 */
export async function commitPlacement(
  settings: ClusterSettings,
  record: PlacementRecord,
  onWait: (err: Error) => void = () => {},
): Promise<PlacementRecord> {
  const t = record.transition!;
  const done: PlacementRecord = {
    version: 1,
    epoch: record.epoch + 1,
    members: t.next,
    completed: { kind: t.kind, node: t.node, run: t.run },
  };
  const deadline = Date.now() + COMMIT_PATIENCE_MS;
  for (let warned = false; ; ) {
    try {
      const { record: stored, index } = await settings.placementRecord();
      if (stored?.completed?.run === t.run && stored.epoch === done.epoch) return stored;
      if (stored?.transition?.run !== t.run) throw new Error("the placement record changed under the lock");
      if (await settings.writePlacement(done, index)) return done;
    } catch (err) {
      if (!(err instanceof ConsulUnavailableError) || Date.now() >= deadline) throw err;
      if (!warned) onWait(err);
      warned = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function writeOrThrow(
  settings: ClusterSettings,
  record: PlacementRecord,
  index: number,
): Promise<void> {
  if (!(await settings.writePlacement(record, index)))
    throw new Error("the placement record changed under the lock");
}
