import { randomUUID } from "node:crypto";
import {
  type ClusterSettings,
  ConsulUnavailableError,
  type Replication,
  type ReplicationRecord,
} from "@zkv/membership";
import { RebalanceError } from "./plan.js";

/** How long the commit keeps trying through a Consul outage before giving up. */
const COMMIT_PATIENCE_MS = 60_000;

/**
 * Where a set-replication run starts: a change it records now or resumes (`change`), a change a
 * killed run already committed whose trim is left (`cleanUp`), or nothing to do (`unchanged`).
 */
export type ReplicationStart =
  | { readonly kind: "change"; readonly record: ReplicationRecord; readonly resumed: boolean }
  | { readonly kind: "cleanUp"; readonly record: ReplicationRecord }
  | { readonly kind: "unchanged"; readonly record: ReplicationRecord };

/** The same n, w and r. */
export function sameSetting(a: Replication, b: Replication): boolean {
  return a.n === b.n && a.w === b.w && a.r === b.r;
}

/**
 * Records the change towards `target` in `zkv/replication` (phase `copying`), adopts the
 * unfinished one it matches, or recognises it as done. Another unfinished change is refused.
 */
export async function startReplicationChange(
  settings: ClusterSettings,
  target: Replication,
): Promise<ReplicationStart> {
  const { record, index } = await settings.replicationRecord();
  const c = record.change;
  if (c) {
    if (!sameSetting(c.next, target)) {
      const { n, w, r } = c.next;
      throw new RebalanceError(
        "REBALANCE_IN_PROGRESS",
        `an unfinished change of the replication factor to n=${n} (w=${w}, r=${r}) is recorded; ` +
          `run \`zkv set-replication ${n} --write-quorum ${w} --read-quorum ${r}\` to finish it first`,
      );
    }
    return { kind: "change", record, resumed: true };
  }
  if (sameSetting(record, target)) {
    const unfinished = record.completed !== undefined && record.completed.finished !== true;
    return { kind: unfinished ? "cleanUp" : "unchanged", record };
  }
  const change = {
    run: randomUUID(),
    phase: "copying" as const,
    next: target,
    startedAt: new Date().toISOString(),
  };
  const next: ReplicationRecord = { n: record.n, w: record.w, r: record.r, change };
  await writeOrThrow(settings, next, index);
  return { kind: "change", record: next, resumed: false };
}

/** Every key is on its new replicas: reads move to the new setting (phase `reading`). */
export async function startReading(
  settings: ClusterSettings,
  record: ReplicationRecord,
): Promise<ReplicationRecord> {
  const c = record.change!;
  const { record: stored, index } = await settings.replicationRecord();
  if (stored.change?.run !== c.run) throw new Error("the replication record changed under the lock");
  if (stored.change.phase === "reading") return stored;
  const reading = { ...stored, change: { ...c, phase: "reading" as const } };
  await writeOrThrow(settings, reading, index);
  return reading;
}

/**
 * Makes `change.next` the cluster's setting in one check-and-set write. A Consul outage here is
 * waited out (up to a minute): every key is copied already, and giving up would leave that for
 * a re-run to redo. A write whose reply was lost is recognised on the re-read by its run id.
 */
export async function commitReplication(
  settings: ClusterSettings,
  record: ReplicationRecord,
  onWait: (err: Error) => void = () => {},
): Promise<ReplicationRecord> {
  const c = record.change!;
  const done: ReplicationRecord = { ...c.next, completed: { run: c.run } };
  const deadline = Date.now() + COMMIT_PATIENCE_MS;
  for (let warned = false; ; ) {
    try {
      const { record: stored, index } = await settings.replicationRecord();
      if (stored.completed?.run === c.run && !stored.change) return stored;
      if (stored.change?.run !== c.run) throw new Error("the replication record changed under the lock");
      if (await settings.writeReplicationRecord(done, index)) return done;
    } catch (err) {
      if (!(err instanceof ConsulUnavailableError) || Date.now() >= deadline) throw err;
      if (!warned) onWait(err);
      warned = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Notes the committed change's trim as done; a record that moved on meanwhile is left alone. */
export async function markReplicationFinished(
  settings: ClusterSettings,
  record: ReplicationRecord,
): Promise<void> {
  const { record: stored, index } = await settings.replicationRecord();
  const c = stored.completed;
  if (!c || c.run !== record.completed?.run || c.finished || stored.change) return;
  await settings.writeReplicationRecord({ ...stored, completed: { ...c, finished: true } }, index);
}

async function writeOrThrow(settings: ClusterSettings, record: ReplicationRecord, index: number) {
  if (!(await settings.writeReplicationRecord(record, index)))
    throw new Error("the replication record changed under the lock");
}
