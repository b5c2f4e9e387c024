import type { Store } from "./store.js";

export interface ReclaimerOptions {
  /** Time between ticks. Default 100 ms. */
  readonly intervalMs?: number;
  /** Keys removed per slice. Default 500. */
  readonly slice?: number;
  /** Longest a tick keeps taking slices while each comes back full. Default 5 ms. */
  readonly budgetMs?: number;
  /** Leave a tombstone for each reclaimed key (a replicated cluster; see Store.reclaim). */
  readonly keepTombstones?: boolean;
  /** Told how many keys each tick removed, when it removed any. */
  readonly onReclaimed?: (count: number) => void;
}

/**
 * Removes expired entries in the background, in small slices on a timer, so a node never pauses
 * for expiry (reads already hide expired entries; this frees their memory and makes STATS right).
 * Like Redis' active expiry it adapts: while slices come back full it takes another, up to
 * `budgetMs` per tick, and otherwise waits for the next tick. Started and stopped with its node.
 */
export class Reclaimer {
  readonly #intervalMs: number;
  readonly #slice: number;
  readonly #budgetMs: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    private readonly store: Pick<Store, "reclaim">,
    private readonly options: ReclaimerOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 100;
    this.#slice = options.slice ?? 500;
    this.#budgetMs = options.budgetMs ?? 5;
  }

  /** Starts the timer; a second call, or one after close(), does nothing. */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => this.tick(), this.#intervalMs);
    this.#timer.unref();
  }

  /** One tick: slices until one comes back short or the time budget is spent. Returns keys removed. */
  tick(): number {
    const started = performance.now();
    let total = 0;
    for (;;) {
      const n = this.store.reclaim(this.#slice, this.options.keepTombstones ?? false);
      total += n;
      if (n < this.#slice || performance.now() - started >= this.#budgetMs) break;
    }
    if (total > 0) this.options.onReclaimed?.(total);
    return total;
  }

  /** Stops the timer; idempotent. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
