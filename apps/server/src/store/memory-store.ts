import { StoreClosedError } from "./errors.js";
import { ExpiryIndex } from "./expiry-index.js";
import type { RawBuffer } from "./slab-record.js";
import { SlabTable } from "./slab-table.js";
import type { Entry, Reclaimed, Store, StoredEntry } from "./store.js";
import { HybridClock, supersedes, type Versioned } from "./versions.js";

export interface MemoryStoreOptions {
  /** The store's clock, ms since the epoch (default Date.now): tests inject one to move time. */
  readonly now?: () => number;
}

/**
 * Keys, values and versions in a SlabTable (outside the V8 heap), plus a sorted key index rebuilt
 * lazily: writes stay O(1), and the first scan after writes pays one sort. The node's store
 * without --data-dir, and the in-memory half of DurableStore.
 *
 * A Map<string, slot> with values and versions in slot arrays cost ~220 bytes a key (16-byte
 * keys, 100-byte values) of heap, all of it traced by every full GC, and ~280 of RSS; the table
 * costs ~160 of both (measured, Node 20; docs/performance.md). Expiry lives in an ExpiryIndex
 * beside it and tombstones in a Map, so keys without a TTL pay nothing for either.
 */
export class MemoryStore implements Store {
  readonly #table = new SlabTable();
  readonly #expiry = new ExpiryIndex();
  /** Versions of deleted keys (replication only: apply() and reclaim keep them). */
  readonly #tombstones = new Map<string, number>();
  #sorted: string[] | undefined;
  #bytes = 0;
  #closed = false;
  readonly now: () => number;
  readonly clock: HybridClock;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.clock = new HybridClock(this.now);
  }

  get(key: string): string | undefined {
    this.#ensureOpen("get");
    const id = this.#table.find(key);
    if (id < 0 || this.#expired(key)) return undefined;
    return this.#table.valueOf(id);
  }

  entry(key: string): StoredEntry | undefined {
    this.#ensureOpen("read an entry");
    const id = this.#table.find(key);
    if (id < 0 || this.#expired(key)) return undefined;
    return this.#copyAt(key, id) as StoredEntry;
  }

  put(key: string, value: string, expiresAt?: number, version?: number): number {
    this.#ensureOpen("put");
    const table = this.#table;
    const id = table.find(key);
    let v: number;
    if (version === undefined) {
      v = this.clock.next(id < 0 ? this.#tombstones.get(key) : table.versionOf(id));
    } else {
      this.clock.observe(version);
      v = version;
    }
    const valueBytes = Buffer.byteLength(value);
    if (id < 0) {
      this.#bytes += table.keyBytes(key) + valueBytes;
      table.insert(key, value, valueBytes, v);
      this.#sorted = undefined;
      if (this.#tombstones.size > 0) this.#tombstones.delete(key);
    } else {
      this.#bytes += valueBytes - table.valueBytesOf(id);
      table.update(id, value, valueBytes, v);
    }
    if (expiresAt !== undefined) this.#expiry.set(key, expiresAt);
    else if (this.#expiry.size > 0) this.#expiry.delete(key);
    return v;
  }

  /** Nothing to do before the reply: the puts, once it has left (Store.stagePuts). */
  stagePuts(keys: readonly string[], values: readonly string[]): () => void {
    this.#ensureOpen("put");
    return () => {
      for (let i = 0; i < keys.length; i++) this.put(keys[i]!, values[i]!);
    };
  }

  copy(key: string): Versioned | undefined {
    this.#ensureOpen("read a copy");
    const id = this.#table.find(key);
    if (id >= 0) return this.#copyAt(key, id);
    const version = this.#tombstones.get(key);
    return version === undefined ? undefined : { value: undefined, version };
  }

  versionOf(key: string): number | undefined {
    const id = this.#table.find(key);
    if (id >= 0) return this.#table.versionOf(id);
    return this.#tombstones.size === 0 ? undefined : this.#tombstones.get(key);
  }

  #copyAt(key: string, id: number): Versioned {
    const value = this.#table.valueOf(id);
    const version = this.#table.versionOf(id);
    const expiresAt = this.#expiry.get(key);
    return expiresAt === undefined ? { value, version } : { value, version, expiresAt };
  }

  apply(key: string, copy: Versioned): boolean {
    if (!supersedes(copy, this.copy(key))) return false;
    if (copy.value === undefined) {
      this.#remove(key);
      this.#tombstones.set(key, copy.version);
      this.clock.observe(copy.version);
    } else this.put(key, copy.value, copy.expiresAt, copy.version);
    return true;
  }

  /** Tombstones held (deleted keys whose version is kept): for STATS and tests. */
  get tombstones(): number {
    return this.#tombstones.size;
  }

  tombstoneKeys(): Iterable<string> {
    this.#ensureOpen("list tombstones");
    return [...this.#tombstones.keys()];
  }

  *keys(): Iterable<string> {
    for (const id of this.#table.ids()) yield this.#table.keyOf(id);
    yield* this.#tombstones.keys();
  }

  /**
   * Shows `visit` each entry whose id is in [from, from + count), expired ones included, as its
   * record where it lies (a chunk and an offset: slab-record.ts), its version and its expiry,
   * and returns the id to go on from (-1 once past the last): a snapshot written a slice at a
   * time, copied from the records' bytes. An entry written between slices may be shown or not,
   * or shown twice (deleted and added again under another id); the write-ahead log replayed over
   * the snapshot settles every such one. The chunk is only valid during the call.
   */
  visitRecords(
    from: number,
    count: number,
    visit: (chunk: RawBuffer, offset: number, version: number, expiresAt: number | undefined) => void,
  ): number {
    this.#ensureOpen("read entries");
    const table = this.#table;
    const end = Math.min(from + count, table.idLimit);
    const expiring = this.#expiry.size > 0;
    for (let id = from; id < end; id++) {
      if (!table.inUse(id)) continue;
      const expiresAt = expiring ? this.#expiry.get(table.keyOf(id)) : undefined;
      visit(table.chunkOf(id), table.offsetOf(id), table.versionOf(id), expiresAt);
    }
    return end < table.idLimit ? end : -1;
  }

  /** Shows `visit` every tombstone: a deleted key and its version. */
  visitTombstones(visit: (key: string, version: number) => void): void {
    this.#ensureOpen("read tombstones");
    for (const [key, version] of this.#tombstones) visit(key, version);
  }

  drop(key: string): void {
    this.#ensureOpen("drop");
    this.#remove(key);
    this.#tombstones.delete(key);
  }

  delete(key: string): boolean {
    this.#ensureOpen("delete");
    const live = this.#table.find(key) >= 0 && !this.#expired(key);
    this.#remove(key);
    return live;
  }

  reclaim(max: number, keepTombstones: boolean): number {
    return this.reclaimKeys(max, keepTombstones).length;
  }

  /** reclaim(), telling which keys went (and their versions), for a store that mirrors them on disk. */
  reclaimKeys(max: number, keepTombstones: boolean): Reclaimed[] {
    this.#ensureOpen("reclaim");
    if (this.#expiry.size === 0) return [];
    const out: Reclaimed[] = [];
    for (const key of this.#expiry.take(this.now(), max)) {
      const id = this.#table.find(key);
      const version = id < 0 ? 0 : this.#table.versionOf(id);
      this.#remove(key);
      if (keepTombstones) this.#tombstones.set(key, version);
      out.push({ key, version });
    }
    return out;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#table.size;
  }

  /** Nothing to wait for: memory is as durable as this store gets. */
  sync(): undefined {
    this.#ensureOpen("sync");
    return undefined;
  }

  /** Nothing to release, but from now on every use throws StoreClosedError, as DurableStore's does. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #ensureOpen(operation: string): void {
    if (this.#closed) throw new StoreClosedError(operation);
  }

  *scan(afterKey: string | undefined): Iterable<Entry> {
    this.#ensureOpen("scan");
    this.#sorted ??= this.#sortedKeys();
    const keys = this.#sorted;
    let i = afterKey === undefined ? 0 : upperBound(keys, afterKey);
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      const id = this.#table.find(key);
      // A key deleted since the index was built is skipped, not returned stale; so is an expired one.
      if (id >= 0 && !this.#expired(key)) yield { key, value: this.#table.valueOf(id) };
    }
  }

  #sortedKeys(): string[] {
    const keys: string[] = [];
    for (const id of this.#table.ids()) keys.push(this.#table.keyOf(id));
    return keys.sort();
  }

  /** True when `key` has an expiry that has passed (checked only while some key expires at all). */
  #expired(key: string): boolean {
    if (this.#expiry.size === 0) return false;
    const at = this.#expiry.get(key);
    return at !== undefined && at <= this.now();
  }

  /** Drops the key's value and expiry (not its tombstone). */
  #remove(key: string): void {
    const id = this.#table.find(key);
    if (id < 0) return;
    this.#bytes -= Buffer.byteLength(key) + this.#table.valueBytesOf(id);
    this.#table.remove(id);
    this.#sorted = undefined;
    this.#expiry.delete(key);
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
