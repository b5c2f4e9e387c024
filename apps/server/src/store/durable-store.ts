import type { RootDatabase } from "lmdb";
import { BatchWrites } from "./batch-writes.js";
import { openDataDir } from "./data-dir-engine.js";
import { StoreClosedError } from "./errors.js";
import { type HintLog, HintTable } from "./hint-table.js";
import { LmdbCommitter } from "./lmdb-committer.js";
import { LmdbTables } from "./lmdb-tables.js";
import { loadEntries } from "./load-entries.js";
import type { DataDirLock } from "./lock.js";
import { LogSyncs } from "./log-syncs.js";
import { MemoryStore } from "./memory-store.js";
import {
  encodeKey,
  encodeLongEntry,
  encodeTombstone,
  encodeValue,
  keyBytes,
  longKey,
  MAX_DIRECT_KEY_BYTES,
} from "./record.js";
import type { Entry, Store, StoredEntry } from "./store.js";
import type { SyncPolicy } from "./sync-policy.js";
import { type HybridClock, supersedes, type Versioned } from "./versions.js";
import type { WriteLog } from "./write-log.js";
import { DATA_TABLE as DATA, HINTS_TABLE as HINTS, LONG_TABLE as LONG } from "./write-log-frames.js";

export interface DurableStoreOptions {
  /** This store's own dir (a node uses `<data-dir>/<node-id>`); created when missing. */
  readonly dir: string;
  readonly fsync: SyncPolicy;
  /** Told when a commit fails (disk full, I/O error); `sync()` rejects from then on. */
  readonly onError?: (err: unknown) => void;
  /** The store's clock, ms since the epoch (default Date.now), for expiry and versions. */
  readonly now?: () => number;
}

/**
 * Every entry in memory (a MemoryStore answers all reads, at memory speed and in UTF-16 order)
 * and on disk in LMDB, which only ever writes: each put or delete goes to the engine at once
 * (under `batch` and `always`, to the write-ahead log at once and to LMDB within 20 ms, on a
 * thread of its own: BatchWrites, LmdbCommitter; under `off`, writes of one event turn share
 * one LMDB transaction), and `sync()` tells when they are durable under the policy (under
 * `always`, once the log is fsynced: LogSyncs; under either, later while LMDB is far behind
 * the log). Opening loads the whole dir
 * back into memory, so `size` and `bytes` are right after a restart. The dataset must fit in
 * memory, as with Redis: the engine is for surviving restarts, not for holding more than RAM.
 */
export class DurableStore implements Store {
  readonly #mem: MemoryStore;
  readonly #lock: DataDirLock;
  readonly #root: RootDatabase<Buffer, Buffer>;
  /** `data` holds keys up to MAX_DIRECT_KEY_BYTES, by their encoding (in UTF-16 order); `long` the rest. */
  readonly #tables: LmdbTables;
  readonly #options: DurableStoreOptions;
  /** `off` only: the commit the latest write joined (lmdb-js shares one promise per transaction). */
  #last: Promise<boolean> | undefined;
  /** `batch` and `always`: the write-ahead log in front of LMDB, which commits from its buffers. */
  readonly #logged: BatchWrites | undefined;
  /** `always` only: the group commit of the log's fsyncs. */
  readonly #logSyncs: LogSyncs | undefined;
  #failure: unknown;
  #closing: Promise<void> | undefined;
  #hints: HintTable | undefined;

  private constructor(
    options: DurableStoreOptions,
    lock: DataDirLock,
    root: RootDatabase<Buffer, Buffer>,
    log: WriteLog | undefined,
  ) {
    this.#options = options;
    this.#tables = new LmdbTables(root);
    const always = options.fsync === "always";
    const engine = log && new LmdbCommitter(options.dir, (err) => this.#fail(err));
    this.#logged = log && new BatchWrites(log, engine!, !always);
    this.#logSyncs =
      log && always
        ? new LogSyncs(log, { flush: this.#logged!.flush, failure: () => this.#failure, fail: engine!.fail })
        : undefined;
    this.#mem = new MemoryStore(options.now ? { now: options.now } : {});
    this.#lock = lock;
    this.#root = root;
  }

  /** Locks the dir, opens (or creates) the engine and loads every entry into memory. */
  static open(options: DurableStoreOptions): Promise<DurableStore> {
    return openDataDir(options.dir, options.fsync, ({ lock, root, log }) => {
      const store = new DurableStore(options, lock, root, log);
      loadEntries(store.#tables, store.#mem);
      return store;
    });
  }

  now(): number {
    return this.#mem.now();
  }

  get clock(): HybridClock {
    return this.#mem.clock;
  }

  get(key: string): string | undefined {
    return this.#mem.get(key);
  }

  entry(key: string): StoredEntry | undefined {
    return this.#mem.entry(key);
  }

  put(key: string, value: string, expiresAt?: number, version?: number): number {
    const v = this.#mem.put(key, value, expiresAt, version);
    this.#writeValue(key, value, v, expiresAt);
    return v;
  }

  copy(key: string): Versioned | undefined {
    return this.#mem.copy(key);
  }

  versionOf(key: string): number | undefined {
    return this.#mem.versionOf(key);
  }

  /** Keeps a newer copy, tombstone included: a deletion's version must survive a restart too. */
  apply(key: string, copy: Versioned): boolean {
    if (!supersedes(copy, this.#mem.copy(key))) return false;
    this.#mem.apply(key, copy);
    if (copy.value === undefined) this.#write(key, encodeTombstone(copy.version));
    else this.#writeValue(key, copy.value, copy.version, copy.expiresAt);
    return true;
  }

  tombstoneKeys(): Iterable<string> {
    return this.#mem.tombstoneKeys();
  }

  /** The node's hints, in a `hints` table beside the data (an older node ignores the table). */
  hintLog(): HintLog {
    this.#hints ??= new HintTable(this.#tables.table(HINTS), (row, value) =>
      this.#engineWrite(HINTS, row, value),
    );
    return this.#hints;
  }

  keys(): Iterable<string> {
    return this.#mem.keys();
  }

  drop(key: string): void {
    if (this.#mem.copy(key) === undefined) return;
    this.#mem.drop(key);
    this.#remove(key);
  }

  /** Reclaims in memory, then on disk the same way: removed, or a tombstone written. */
  reclaim(max: number, keepTombstones: boolean): number {
    const gone = this.#mem.reclaimKeys(max, keepTombstones);
    for (const { key, version } of gone) {
      if (keepTombstones) this.#write(key, encodeTombstone(version));
      else this.#remove(key);
    }
    return gone.length;
  }

  /** Under `batch` and `always`, a value with a short key is laid into a LogBuffer as it is, with no Buffer of its own. */
  #writeValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    if (this.#logged && keyBytes(key) <= MAX_DIRECT_KEY_BYTES)
      this.#logged.writeValue(key, value, version, expiresAt);
    else this.#write(key, encodeValue(value, version, expiresAt));
  }

  #write(key: string, record: Buffer): void {
    const k = encodeKey(key);
    if (k.length <= MAX_DIRECT_KEY_BYTES) this.#engineWrite(DATA, k, record);
    else this.#engineWrite(LONG, longKey(k), encodeLongEntry(k, record));
  }

  /** One write (record undefined: a removal) to LMDB, and under `batch` and `always` to the log first. */
  #engineWrite(table: number, key: Buffer, record: Buffer | undefined): void {
    if (this.#logged) this.#logged.write(table, key, record);
    else this.#track(this.#tables.write(table, key, record));
  }

  delete(key: string): boolean {
    const held = this.#mem.copy(key)?.value !== undefined; // an expired value is still on disk
    const live = this.#mem.delete(key);
    if (held) this.#remove(key);
    return live;
  }

  #remove(key: string): void {
    const k = encodeKey(key);
    if (k.length <= MAX_DIRECT_KEY_BYTES) this.#engineWrite(DATA, k, undefined);
    else this.#engineWrite(LONG, longKey(k), undefined);
  }

  get size(): number {
    return this.#mem.size;
  }

  get bytes(): number {
    return this.#mem.bytes;
  }

  scan(afterKey: string | undefined): Iterable<Entry> {
    return this.#mem.scan(afterKey);
  }

  sync(): Promise<void> | undefined {
    if (this.#closing !== undefined) throw new StoreClosedError("sync");
    if (this.#logSyncs === undefined) this.#logged?.flush();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const synced = this.#logSyncs?.sync();
    // LMDB far behind the log: the reply also waits until it has caught up (BatchWrites.room).
    const room = this.#logged?.room();
    if (room === undefined) return synced;
    return Promise.all([synced, room]).then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    });
  }

  /**
   * Commits what is pending, releases engine and lock; idempotent. From now on every other call
   * throws StoreClosedError (the memory half refuses first): a write reaching a closing lmdb
   * would throw later, outside any caller, and end the process.
   */
  close(): Promise<void> {
    this.#closing ??= this.#mem.close().then(async () => {
      try {
        await this.#logSyncs?.close();
        await this.#logged?.close(() => this.#failure !== undefined);
      } finally {
        await this.#root.close().finally(() => this.#lock.release());
      }
    });
    return this.#closing;
  }

  #track(commit: Promise<boolean>): void {
    if (commit === this.#last) return;
    this.#last = commit;
    // One handler per transaction: a failed commit must neither go unnoticed nor crash the node.
    commit.catch((err: unknown) => this.#fail(err));
  }

  #fail(err: unknown): void {
    this.#failure ??= err;
    this.#options.onError?.(err);
  }
}
