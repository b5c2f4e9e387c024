import { describeWrites, type Violation } from "./checker.js";
import type { History, ReadOp, WriteOp } from "./history.js";

/**
 * What one key's writes allow a read to return, answered per read in O(log writes): the
 * acknowledged writes ordered by completion with the latest invocation among them so far, and
 * each write by its (unique) value.
 */
class KeyWrites {
  readonly #acked: Array<{ completedAt: number; latestInvoke: number }> = [];
  readonly #byValue = new Map<string, WriteOp>();
  readonly #deletes: WriteOp[] = [];

  constructor(writes: readonly WriteOp[]) {
    const acked = writes.filter((w) => w.completedAt !== undefined);
    acked.sort((a, b) => a.completedAt! - b.completedAt!);
    let latest = Number.NEGATIVE_INFINITY;
    for (const w of acked) {
      latest = Math.max(latest, w.invokedAt);
      this.#acked.push({ completedAt: w.completedAt!, latestInvoke: latest });
    }
    for (const w of writes) {
      if (w.value === undefined) this.#deletes.push(w);
      else this.#byValue.set(w.value, w);
    }
  }

  /**
   * Whether `read` may have returned what it did (the rule of allowedValues, at the read's time):
   * a write is ruled out once an acknowledged write invoked after it was acknowledged had itself
   * been acknowledged before the read began; a write invoked after the read ended cannot be
   * seen; absence is allowed only while nothing was acknowledged before the read began (or a
   * delete is allowed).
   */
  allows(read: ReadOp): boolean {
    const overwrittenBefore = this.#latestInvokeAckedBefore(read.invokedAt);
    const possible = (w: WriteOp) =>
      w.invokedAt < read.completedAt && !(w.completedAt !== undefined && w.completedAt < overwrittenBefore);
    if (read.value !== undefined) {
      const w = this.#byValue.get(read.value);
      return w !== undefined && possible(w);
    }
    return overwrittenBefore === Number.NEGATIVE_INFINITY || this.#deletes.some(possible);
  }

  /** The latest invocation among the writes acknowledged before `t`. */
  #latestInvokeAckedBefore(t: number): number {
    let lo = 0;
    let hi = this.#acked.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#acked[mid]!.completedAt < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? Number.NEGATIVE_INFINITY : this.#acked[lo - 1]!.latestInvoke;
  }
}

/**
 * Invariant (1) during the run: a read returns the newest value acknowledged before it began, or
 * one written concurrently or failed (it may have landed), never an overwritten one (stale),
 * one nobody wrote (phantom), or nothing once something was acknowledged. This is what r + w > n
 * promises, with one copy too; it catches a restarted or bootstrapping node that answers from
 * data it does not have yet.
 */
export function checkRunReads(history: History): Violation[] {
  const keys = new Map<string, KeyWrites>();
  const violations: Violation[] = [];
  for (const read of history.reads) {
    let writes = keys.get(read.key);
    if (!writes) {
      writes = new KeyWrites(history.writesOf(read.key));
      keys.set(read.key, writes);
    }
    if (writes.allows(read)) continue;
    const all = history.writesOf(read.key);
    const seen = all.find((w) => w.value === read.value && read.value !== undefined);
    const kind =
      read.value === undefined || (seen && seen.invokedAt < read.completedAt)
        ? "stale"
        : seen
          ? "from a later write"
          : "phantom during the run";
    violations.push({
      invariant: "read",
      key: read.key,
      kind,
      detail: `a read @${span(read)} returned ${read.value ?? "(absent)"}; writes before: ${writesBefore(all, read)}`,
    });
  }
  return violations;
}

const span = (read: ReadOp) => `${Math.round(read.invokedAt)}-${Math.round(read.completedAt)}`;

/** The last three writes invoked before the read ended. */
function writesBefore(writes: readonly WriteOp[], read: ReadOp): string {
  return (
    describeWrites(
      writes.filter((w) => w.invokedAt < read.completedAt),
      3,
    ) || "none"
  );
}
