import { supersedes, type Versioned } from "../replication/versions.js";
import type { Entry, Store } from "./store.js";

/**
 * A Map plus a sorted key index rebuilt lazily: writes stay O(1), and the first scan after writes
 * pays one sort. The node's store without --data-dir, and the in-memory half of DurableStore.
 */
export class MemoryStore implements Store {
  readonly #map = new Map<string, string>();
  #sorted: string[] | undefined;
  #bytes = 0;
  /**
   * Versions, kept only for keys written through apply() (replication): a cluster with one copy
   * per key pays nothing for them. A deleted key's version stays as its tombstone.
   */
  readonly #versions = new Map<string, number>();

  get(key: string): string | undefined {
    return this.#map.get(key);
  }

  put(key: string, value: string): void {
    const old = this.#map.get(key);
    if (old === undefined) {
      this.#sorted = undefined;
      this.#bytes += Buffer.byteLength(key);
    } else {
      this.#bytes -= Buffer.byteLength(old);
    }
    this.#bytes += Buffer.byteLength(value);
    this.#map.set(key, value);
  }

  copy(key: string): Versioned | undefined {
    const value = this.#map.get(key);
    const version = this.#versions.get(key);
    if (value === undefined && version === undefined) return undefined;
    return { value, version: version ?? 0 };
  }

  apply(key: string, copy: Versioned): boolean {
    if (!supersedes(copy, this.copy(key))) return false;
    if (copy.value === undefined) this.delete(key);
    else this.put(key, copy.value);
    this.#versions.set(key, copy.version);
    return true;
  }

  *tombstoneKeys(): Iterable<string> {
    for (const key of [...this.#versions.keys()]) if (!this.#map.has(key)) yield key;
  }

  drop(key: string): void {
    this.delete(key);
    this.#versions.delete(key);
  }

  delete(key: string): boolean {
    const old = this.#map.get(key);
    if (old === undefined) return false;
    this.#map.delete(key);
    this.#sorted = undefined;
    this.#bytes -= Buffer.byteLength(key) + Buffer.byteLength(old);
    return true;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Nothing to wait for: memory is as durable as this store gets. */
  sync(): undefined {
    return undefined;
  }

  /** Nothing to release; there for the Store lifecycle. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  *scan(afterKey: string | undefined): Iterable<Entry> {
    this.#sorted ??= [...this.#map.keys()].sort();
    const keys = this.#sorted;
    let i = afterKey === undefined ? 0 : upperBound(keys, afterKey);
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      const value = this.#map.get(key);
      // A key deleted since the index was built is skipped, not returned stale.
      if (value !== undefined) yield { key, value };
    }
  }
}

/** Index of the first key strictly greater than `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
