/**
 * Versions order the writes of one key across replicas. A version is a number from a hybrid
 * logical clock: the coordinator's wall clock in microseconds, but never less than one past any
 * version the node has issued or seen, so a write that follows another (on any coordinator that
 * knew of it) always carries a higher version, whatever the clocks say. Two coordinators can still
 * issue the same version to concurrent writes of one key; then the larger value wins (a deletion
 * counts as the smallest), a rule every replica applies alike, so they all converge on one value.
 */

/**
 * A replica's copy of a key: its value (undefined for a deletion, a tombstone), its version, and
 * when the value expires (ms since the epoch; absent: never). Expiry is part of the write that
 * set it, so two copies of one version carry the same expiry.
 */
export interface Versioned {
  readonly value: string | undefined;
  readonly version: number;
  readonly expiresAt?: number | undefined;
}

/** A copy as it travels (REPLICATE, REPLICA_GET) → the store's form, its expiry kept. */
export function copyOf(e: {
  readonly value?: string | undefined;
  readonly version: number;
  readonly expiresAt?: number | undefined;
}): Versioned {
  return e.expiresAt === undefined
    ? { value: e.value, version: e.version }
    : { value: e.value, version: e.version, expiresAt: e.expiresAt };
}

/** True when `copy` holds a value that has not expired at `now` (ms): a key a reader can see. */
export function isLive(copy: Versioned | undefined, now: number): copy is Versioned & { value: string } {
  return copy?.value !== undefined && (copy.expiresAt === undefined || copy.expiresAt > now);
}

/** True when `a` supersedes `b` (b undefined: the replica has never seen the key). */
export function supersedes(a: Versioned, b: Versioned | undefined): boolean {
  if (b === undefined) return true;
  if (a.version !== b.version) return a.version > b.version;
  if (a.value === b.value) return false;
  if (b.value === undefined) return true;
  return a.value !== undefined && a.value > b.value;
}

/** The newest of several copies; undefined when there are none. */
export function newest(copies: Iterable<Versioned | undefined>): Versioned | undefined {
  let best: Versioned | undefined;
  for (const c of copies) if (c !== undefined && supersedes(c, best)) best = c;
  return best;
}

/** A node's hybrid logical clock. */
export class HybridClock {
  #last = 0;
  /** Date.now() as read in this turn; -1 until read (see #ms). */
  #turnMs = -1;
  readonly #endTurn = () => {
    this.#turnMs = -1;
  };

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** A version above every one issued or observed here, and above `after` (the key's current one). */
  next(after = 0): number {
    const v = Math.max(Math.floor(this.#ms() * 1000), this.#last + 1, after + 1);
    this.#last = v;
    return v;
  }

  /**
   * The wall clock, read once per turn of the event loop (until the next microtask checkpoint)
   * when it is Date.now: a call costs ~60 ns on the bench's VM, and a BATCH of 4000 PUTs took 4000
   * versions in one turn. Within a turn the versions count up by 1 µs from its start (`#last + 1`),
   * which is about what a put takes; the next turn starts from the wall clock again. An injected
   * clock (tests) is read every time.
   */
  #ms(): number {
    if (this.nowMs !== Date.now) return this.nowMs();
    if (this.#turnMs < 0) {
      this.#turnMs = Date.now();
      queueMicrotask(this.#endTurn);
    }
    return this.#turnMs;
  }

  /** Remembers a version seen from another node, so later ones issued here are higher. */
  observe(version: number): void {
    if (version > this.#last) this.#last = version;
  }
}
