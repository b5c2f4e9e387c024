/**
 * What the concurrent clients did, as the checker needs it. Times are the test process's
 * monotonic clock (performance.now()), so "acknowledged before invoked" is real-time order.
 */

/** One PUT (value) or DELETE (value undefined) of a plain key. */
export interface WriteOp {
  readonly key: string;
  /** Unique per key, so a read names the write it saw; undefined for a delete. */
  readonly value: string | undefined;
  readonly invokedAt: number;
  /** When it was acknowledged; undefined while in flight or when it failed (indeterminate). */
  completedAt?: number;
  /** The failure's code when it failed: it may or may not have landed. */
  error?: string;
}

/** A read that succeeded during the run: what it returned, and when. */
export interface ReadOp {
  readonly key: string;
  /** undefined: not found. */
  readonly value: string | undefined;
  readonly invokedAt: number;
  readonly completedAt: number;
}

/** What the clients did to one CAS counter. */
export interface CounterOps {
  /** Increments acknowledged. */
  acked: number;
  /** Increments whose CAS failed with something other than CONFLICT: they may have landed. */
  indeterminate: number;
}

export interface HistorySummary {
  readonly writes: number;
  readonly acked: number;
  readonly indeterminate: number;
  readonly deletes: number;
  readonly casAcked: number;
  readonly casIndeterminate: number;
  readonly casConflicts: number;
  /** Reads that succeeded during the run. */
  readonly reads: number;
  /** Failures by code, split by cause: `CODE` for each code, `CODE: message` (ids and numbers generalised) for each cause. */
  readonly errors: Readonly<Record<string, number>>;
}

/** The record of one schedule's client operations. */
export class History {
  readonly #writes = new Map<string, WriteOp[]>();
  readonly #counters = new Map<string, CounterOps>();
  readonly #errors = new Map<string, number>();
  readonly #reads: ReadOp[] = [];
  #conflicts = 0;

  /** Records a write as invoked; call ok() or fail() with it when it completes. */
  invoke(key: string, value: string | undefined, at = performance.now()): WriteOp {
    const op: WriteOp = { key, value, invokedAt: at };
    const ops = this.#writes.get(key);
    if (ops) ops.push(op);
    else this.#writes.set(key, [op]);
    return op;
  }

  ok(op: WriteOp, at = performance.now()): void {
    op.completedAt = at;
  }

  fail(op: WriteOp, code: string, message = code): void {
    op.error = code;
    this.#count(code, message);
  }

  /** Records a read that succeeded (one that failed says nothing of the key's value). */
  read(key: string, value: string | undefined, invokedAt: number, completedAt = performance.now()): void {
    this.#reads.push({ key, value, invokedAt, completedAt });
  }

  /** The reads that succeeded during the run, in the order they completed. */
  get reads(): readonly ReadOp[] {
    return this.#reads;
  }

  /** Declares a counter, so it is checked even if no increment was ever acknowledged. */
  counter(name: string): CounterOps {
    const known = this.#counters.get(name);
    if (known) return known;
    const ops = { acked: 0, indeterminate: 0 };
    this.#counters.set(name, ops);
    return ops;
  }

  incremented(name: string): void {
    this.counter(name).acked++;
  }

  incrementFailed(name: string, code: string, message = code): void {
    this.counter(name).indeterminate++;
    this.#count(code, message);
  }

  /** A CAS that lost its race: definitely not applied, so it is only counted. */
  conflict(): void {
    this.#conflicts++;
  }

  get keys(): string[] {
    return [...this.#writes.keys()];
  }

  writesOf(key: string): readonly WriteOp[] {
    return this.#writes.get(key) ?? [];
  }

  get counters(): ReadonlyMap<string, CounterOps> {
    return this.#counters;
  }

  summary(): HistorySummary {
    let writes = 0;
    let acked = 0;
    let indeterminate = 0;
    let deletes = 0;
    for (const ops of this.#writes.values()) {
      for (const op of ops) {
        writes++;
        if (op.completedAt !== undefined) acked++;
        else if (op.error !== undefined) indeterminate++;
        if (op.value === undefined) deletes++;
      }
    }
    const counters = [...this.#counters.values()];
    return {
      writes,
      acked,
      indeterminate,
      deletes,
      casAcked: counters.reduce((n, c) => n + c.acked, 0),
      casIndeterminate: counters.reduce((n, c) => n + c.indeterminate, 0),
      casConflicts: this.#conflicts,
      reads: this.#reads.length,
      errors: Object.fromEntries([...this.#errors].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  #count(code: string, message: string): void {
    const cause = `${code}: ${causeOf(message)}`;
    for (const key of cause === `${code}: ${code}` ? [code] : [code, cause])
      this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }
}

/** A failure's message with its particulars (node ids, addresses, keys, numbers) generalised. */
export function causeOf(message: string): string {
  return message
    .replace(/tcp:\/\/[^\s)]+/g, "tcp://…")
    .replace(/node-\d+/g, "node-N")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, "N");
}
