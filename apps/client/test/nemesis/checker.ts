import type { History, WriteOp } from "./history.js";

/**
 * The end-of-schedule invariants, as pure functions of the history and what the final reads and
 * scans returned: (1) reads, (2) placement, (3) counters. "available" and "settle" violations
 * (the cluster stuck) are found by the runner and reported the same way.
 */
export type Invariant = "read" | "placement" | "counter" | "available" | "settle";

export interface Violation {
  readonly invariant: Invariant;
  readonly key?: string;
  /** "lost": an acknowledged write (or delete) is not what the key holds; else what went wrong. */
  readonly kind: string;
  readonly detail: string;
}

/** A violation on one line: a long key (the workload's long hot keys) by its head and length. */
export function describeViolation(v: Violation): string {
  const key =
    v.key === undefined
      ? ""
      : v.key.length > 40
        ? ` ${v.key.slice(0, 24)}…(${v.key.length} chars)`
        : ` ${v.key}`;
  return `${v.invariant}/${v.kind}${key}: ${v.detail}`;
}

/** What the final read of a key returned: a value (undefined: not found), or the read's failure. */
export type FinalRead = { readonly value: string | undefined } | { readonly error: string };

/**
 * The values a key may hold at the end (undefined: absent). A write is ruled out only when an
 * acknowledged write was invoked after it was acknowledged: it was overwritten in real time. A
 * write that failed is indeterminate: it may land at any time, so it is never ruled out. Writes
 * that overlap in time are all allowed (zkv orders concurrent writers by version, not by ack).
 * Absence, the initial state, is allowed only while no write was acknowledged.
 */
export function allowedValues(writes: readonly WriteOp[]): Set<string | undefined> {
  let lastAckedInvoke = Number.NEGATIVE_INFINITY;
  for (const w of writes)
    if (w.completedAt !== undefined) lastAckedInvoke = Math.max(lastAckedInvoke, w.invokedAt);
  const allowed = new Set<string | undefined>();
  if (lastAckedInvoke === Number.NEGATIVE_INFINITY) allowed.add(undefined);
  for (const w of writes)
    if (!(w.completedAt !== undefined && w.completedAt < lastAckedInvoke)) allowed.add(w.value);
  return allowed;
}

/** Invariant (1): each key holds its last acknowledged value, or a newer indeterminate one. */
export function checkReads(history: History, reads: ReadonlyMap<string, FinalRead>): Violation[] {
  const violations: Violation[] = [];
  for (const key of history.keys) {
    const read = reads.get(key);
    if (!read || "error" in read) {
      violations.push({
        invariant: "read",
        key,
        kind: "unreadable",
        detail: read ? read.error : "never read",
      });
      continue;
    }
    const writes = history.writesOf(key);
    const allowed = allowedValues(writes);
    if (allowed.has(read.value)) continue;
    const written = writes.some((w) => w.value === read.value);
    const kind = !written && read.value !== undefined ? "phantom" : "lost";
    const show = (v: string | undefined) => (v === undefined ? "(deleted/absent)" : v);
    violations.push({
      invariant: "read",
      key,
      kind,
      detail: `read ${show(read.value)}; allowed ${[...allowed].map(show).slice(0, 6).join(", ")} (${describeWrites(writes)})`,
    });
  }
  return violations;
}

/** Invariant (3): a counter holds at least its acknowledged increments, at most those plus the indeterminate. */
export function checkCounters(history: History, reads: ReadonlyMap<string, FinalRead>): Violation[] {
  const violations: Violation[] = [];
  for (const [key, ops] of history.counters) {
    const read = reads.get(key);
    if (!read || "error" in read) {
      violations.push({ invariant: "counter", key, kind: "unreadable", detail: read?.error ?? "never read" });
      continue;
    }
    const value = read.value === undefined ? 0 : Number(read.value);
    const range = `acked ${ops.acked}, indeterminate ${ops.indeterminate}`;
    if (!Number.isInteger(value)) {
      violations.push({ invariant: "counter", key, kind: "phantom", detail: `read ${read.value}; ${range}` });
    } else if (value < ops.acked) {
      violations.push({ invariant: "counter", key, kind: "lost", detail: `read ${value}; ${range}` });
    } else if (value > ops.acked + ops.indeterminate) {
      violations.push({ invariant: "counter", key, kind: "extra", detail: `read ${value}; ${range}` });
    }
  }
  return violations;
}

export interface PlacementInput {
  /** Key -> the nodes whose scan listed it. */
  readonly holders: ReadonlyMap<string, readonly string[]>;
  /**
   * Key -> whether the final read found it, for every key of the history and every counter
   * (undefined: its read failed, so only where it is held is checked).
   */
  readonly present: ReadonlyMap<string, boolean | undefined>;
  /** The key's preference list under the final placement (its owner when n = 1). */
  readonly replicasOf: (key: string) => readonly string[];
  /**
   * True: a present key is on exactly its preference list and an absent one nowhere. False (an
   * in-memory node crashed, so a copy may be gone for good): only "held only where it belongs,
   * and somewhere when present".
   */
  readonly exactCopies: boolean;
}

/** Invariant (2): every key is held by exactly its preference list. */
export function checkPlacement(input: PlacementInput): Violation[] {
  const violations: Violation[] = [];
  const keys = new Set([...input.holders.keys(), ...input.present.keys()]);
  for (const key of keys) {
    const holders = input.holders.get(key) ?? [];
    const expected = input.replicasOf(key);
    const list = `preference list [${expected.join(" ")}], held by [${holders.join(" ")}]`;
    const present = input.present.get(key);
    const add = (kind: string) => violations.push({ invariant: "placement", key, kind, detail: list });
    if (!input.present.has(key)) add("unknown key");
    else if (holders.some((h) => !expected.includes(h))) add("misplaced");
    else if (present && holders.length === 0) add("held nowhere");
    else if (input.exactCopies && present && holders.length !== expected.length) add("missing copies");
    else if (input.exactCopies && !present && holders.length > 0) add("deleted key still held");
  }
  return violations;
}

/** The writes of a key, briefly: the last `last`, oldest first, with their outcome and times. */
export function describeWrites(writes: readonly WriteOp[], last = 4): string {
  const shown = writes.slice(-last).map((w) => {
    const what = w.value === undefined ? "delete" : `put ${w.value}`;
    const outcome = w.completedAt !== undefined ? "ok" : (w.error ?? "in flight");
    const at = `${Math.round(w.invokedAt)}-${w.completedAt === undefined ? "?" : Math.round(w.completedAt)}`;
    return `${what} ${outcome} @${at}`;
  });
  return `${writes.length > last ? "…, " : ""}${shown.join("; ")}`;
}
