import { z } from "zod";
import { parseKvRecord } from "./kv-json.js";
import { REPLICATION_KEY, type Replication, replication } from "./replication-setting.js";

const SettingsSchema = z.object({ n: z.number().int(), w: z.number().int(), r: z.number().int() });

const ChangeSchema = z.object({
  /** The run of `zkv set-replication` that started the change (a resumed run keeps it). */
  run: z.string().min(1).max(48),
  /**
   * `copying`: writes reach the union of the old and new replicas, reads keep the old setting,
   * and every node hands each key to its new replicas. `reading`: every key is on its new
   * replicas; reads use the new setting, writes still reach both.
   */
  phase: z.enum(["copying", "reading"]),
  next: SettingsSchema,
  startedAt: z.string(),
});

const CompletedSchema = z.object({
  run: z.string().min(1).max(48),
  /** Set once the copies the new setting no longer needs are trimmed. */
  finished: z.boolean().optional(),
});

const RecordSchema = SettingsSchema.extend({
  change: ChangeSchema.optional(),
  completed: CompletedSchema.optional(),
});

/** A change of the replication factor in progress (see ReplicationRecord). */
export type ReplicationChange = z.infer<typeof ChangeSchema>;

/**
 * What `zkv/replication` holds: the setting in force (`n`, `w`, `r`) and, while `zkv
 * set-replication` runs, the change towards `change.next`; once the new setting is the
 * cluster's, `completed` names the run until its clean-up (the trim) is done. A record without
 * `change` and `completed` is the plain setting, as the launcher writes it.
 */
export type ReplicationRecord = z.infer<typeof RecordSchema>;

/** The stored JSON → record; InvalidSettingError when malformed or when a setting's quorums do not overlap. */
export function parseReplicationRecord(raw: string): ReplicationRecord {
  const record = parseKvRecord(REPLICATION_KEY, raw, RecordSchema, "replication record");
  replication(record.n, record.w, record.r); // throws InvalidSettingError
  if (record.change) replication(record.change.next.n, record.change.next.w, record.change.next.r);
  return record;
}

/**
 * How a node or client applies a record right now: keys are written to the first `n` nodes of
 * their preference list with quorum `w`, and read from the first `readN` with quorum `r`. `tag`
 * names the state (`<run>:<phase>`, `<run>:done`), so the set-replication command can ask a node
 * whether it has adopted it.
 */
export interface EffectiveReplication {
  readonly n: number;
  readonly w: number;
  readonly readN: number;
  readonly r: number;
  /** The replicas each key has once the change is over (n when there is none). */
  readonly nextN: number;
  readonly tag: string | undefined;
  /** A change is in progress: nothing is trimmed, and anti-entropy waits (its ranges are moving). */
  readonly changing: boolean;
}

/**
 * The setting a record puts in force (pure). A preference list of n nodes is the first n of a
 * longer one, so during a change every key's replicas are the first max(n, next.n) nodes of its
 * list: the old replicas and the new together. A write there must be acknowledged by enough of
 * them that `w` of the old replicas and `w` of the new ones hold it whichever answered: with d
 * nodes outside a setting's replicas, w + d. Reads use the old setting while copying, the new
 * one from `reading` on.
 */
export function effectiveReplication(record: ReplicationRecord): EffectiveReplication {
  const { change, completed } = record;
  if (!change) {
    const tag = completed ? `${completed.run}:done` : undefined;
    return { n: record.n, w: record.w, readN: record.n, r: record.r, nextN: record.n, tag, changing: false };
  }
  const next = change.next;
  const n = Math.max(record.n, next.n);
  const w = Math.min(n, Math.max(record.w + n - record.n, next.w + n - next.n));
  const read: Replication = change.phase === "copying" ? record : next;
  const tag = `${change.run}:${change.phase}`;
  return { n, w, readN: read.n, r: read.r, nextN: next.n, tag, changing: true };
}
