/** One stored entry. */
export interface Entry {
  readonly key: string;
  readonly value: string;
}

/**
 * Where a node keeps its data. Small on purpose, so a durable engine can replace the in-memory
 * one without touching the request path. `scan` walks keys in ascending UTF-16 order from just
 * after `afterKey`, which is what makes GET_ALL paging stable across pages.
 */
export interface Store {
  get(key: string): string | undefined;
  put(key: string, value: string): void;
  /** True when the key existed. */
  delete(key: string): boolean;
  readonly size: number;
  /** UTF-8 bytes of every key and value held, for STATS and (later) a memory budget. */
  readonly bytes: number;
  scan(afterKey: string | undefined): Iterable<Entry>;
}

/**
 * A Map plus a sorted key index rebuilt lazily: writes stay O(1), and the first scan after writes
 * pays one sort. Good for the sizes a single in-memory node holds; an ordered engine replaces it.
 */
export class MemoryStore implements Store {
  readonly #map = new Map<string, string>();
  #sorted: string[] | undefined;
  #bytes = 0;

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
