import type { Versioned } from "../store/index.js";

/** How long a deletion is remembered: a replica down longer than this may bring the key back. */
export const DEFAULT_TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;
/** How often tombstones are looked through. */
const PURGE_EVERY_MS = 60_000;

/** What purging needs of a store. */
export interface TombstoneStore {
  tombstoneKeys(): Iterable<string>;
  copy(key: string): Versioned | undefined;
  drop(key: string): void;
}

/**
 * Forgets deletions older than `ttlMs` (a version is the coordinator's clock in microseconds),
 * except those `pending` still has to deliver. Like Cassandra's gc_grace: by then every replica
 * has had the deletion from the write itself, a hint or read repair; one that was down for longer
 * must be replaced (remove-node, add-node), not brought back. Returns how many were forgotten.
 */
export function purgeTombstones(
  store: TombstoneStore,
  nowMs: number,
  ttlMs: number,
  pending: (key: string) => boolean,
): number {
  const oldest = (nowMs - ttlMs) * 1000;
  let purged = 0;
  for (const key of store.tombstoneKeys()) {
    const copy = store.copy(key);
    if (copy === undefined || copy.value !== undefined || copy.version > oldest || pending(key)) continue;
    store.drop(key);
    purged++;
  }
  return purged;
}

/** Runs purgeTombstones every minute until closed. */
export class TombstonePurger {
  readonly #timer: NodeJS.Timeout;

  constructor(store: TombstoneStore, ttlMs: number, pending: (key: string) => boolean) {
    this.#timer = setInterval(() => purgeTombstones(store, Date.now(), ttlMs, pending), PURGE_EVERY_MS);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
