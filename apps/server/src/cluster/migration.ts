import type { Placement } from "@zkv/hashring";
import type { MovedEntry } from "@zkv/protocol";
import type { Store } from "../store/index.js";

/** How long fetched entries stay fenced without a commit before the node gives them back. */
export const FENCE_LEASE_MS = 10_000;

/**
 * A node's side of one rebalance run: the placement keys are moving to, the entries fetched but
 * not yet committed (fenced: requests for them get TRY_AGAIN), and tombstones for keys deleted
 * here while their move was pending. The tombstone is what makes an aborted copy harmless: a
 * stale value left on the target by a killed run is overwritten or deleted by the next run,
 * and never read before that, because this node answers for every key it still holds.
 */
export class Migration {
  readonly #fences = new Map<string, number>();
  readonly #tombstones = new Set<string>();

  constructor(
    public run: string,
    readonly next: Placement,
    readonly self: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Hands the migration to a new run (a rebalance resumed after its runner was killed): the dead
   * run's fences are lifted, and its tombstones stay, since those deletions still have to move.
   */
  takeOver(run: string): void {
    this.run = run;
    this.#fences.clear();
  }

  /** True when `key` leaves this node under the placement being migrated to. */
  leaving(key: string): boolean {
    return this.next.locate(key) !== this.self;
  }

  /** True while `key` is fetched and not yet committed (an expired fence is lifted here). */
  fenced(key: string): boolean {
    const until = this.#fences.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.#fences.delete(key);
    return false;
  }

  hasTombstone(key: string): boolean {
    return this.#tombstones.has(key);
  }

  /** Records a delete of a leaving key, so the deletion moves too. */
  tombstone(key: string): void {
    this.#tombstones.add(key);
  }

  /** A PUT of a leaving key replaces its tombstone. */
  clearTombstone(key: string): void {
    this.#tombstones.delete(key);
  }

  /**
   * Reads and fences the given keys that this node holds (values or tombstones) and that leave
   * it, in order, stopping once `budgetBytes` of entries are collected. Returns the entries and
   * how many of `keys` were handled, so the caller continues from there.
   */
  fetch(
    store: Store,
    keys: readonly string[],
    budgetBytes: number,
  ): { entries: MovedEntry[]; fetched: number } {
    const entries: MovedEntry[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < keys.length && bytes < budgetBytes; i++) {
      const key = keys[i]!;
      if (!this.leaving(key) || this.fenced(key)) continue;
      const entry = this.#entryOf(store, key);
      if (entry === undefined) continue;
      entries.push(entry);
      bytes += key.length + ("value" in entry ? entry.value.length : 0) + 32;
      this.#fences.set(key, this.now() + FENCE_LEASE_MS);
    }
    return { entries, fetched: i };
  }

  /** Like fetch, for any leaving entries at all: what a final sweep moves. */
  sweep(store: Store, limit: number, budgetBytes: number): MovedEntry[] {
    const keys: string[] = [];
    for (const key of this.#tombstones) if (keys.length < limit && !this.fenced(key)) keys.push(key);
    for (const { key } of store.scan(undefined)) {
      if (keys.length >= limit) break;
      if (this.leaving(key) && !this.fenced(key)) keys.push(key);
    }
    return this.fetch(store, keys, budgetBytes).entries;
  }

  /** Deletes committed entries (their new owner has them) and lifts their fences. */
  commit(store: Store, keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) {
      if (!this.fenced(key) || !this.#fences.delete(key)) continue; // never fetched by this run, or its lease ran out
      if (store.delete(key)) removed++;
      if (this.#tombstones.delete(key)) removed++;
    }
    return removed;
  }

  #entryOf(store: Store, key: string): MovedEntry | undefined {
    if (this.#tombstones.has(key)) return { key, deleted: true };
    const entry = store.entry(key); // an expired key is not moved: its old owner reclaims it
    return entry === undefined ? undefined : { key, ...entry };
  }
}
