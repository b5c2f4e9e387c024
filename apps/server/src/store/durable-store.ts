import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Database, open, type RootDatabase } from "lmdb";
import { BatchWrites, type Commit } from "./batch-writes.js";
import { DataDirError, StoreClosedError } from "./errors.js";
import { type HintLog, HintTable } from "./hint-table.js";
import { DataDirLock } from "./lock.js";
import { MemoryStore } from "./memory-store.js";
import {
  decodeKey,
  decodeLongEntry,
  decodeRecord,
  encodeKey,
  encodeLongEntry,
  encodeTombstone,
  encodeValue,
  longKey,
  MAX_DIRECT_KEY_BYTES,
  RecordKind,
} from "./record.js";
import type { Entry, Store, StoredEntry } from "./store.js";
import type { SyncPolicy } from "./sync-policy.js";
import { type HybridClock, supersedes, type Versioned } from "./versions.js";
import {
  DATA_TABLE as DATA,
  HINTS_TABLE as HINTS,
  HINTS_TABLE_OPTIONS,
  LONG_TABLE as LONG,
  replay,
  WriteLog,
} from "./write-log.js";

export interface DurableStoreOptions {
  /** This store's own dir (a node uses `<data-dir>/<node-id>`); created when missing. */
  readonly dir: string;
  readonly fsync: SyncPolicy;
  /** Told when a commit fails (disk full, I/O error); `sync()` rejects from then on. */
  readonly onError?: (err: unknown) => void;
  /** The store's clock, ms since the epoch (default Date.now), for expiry and versions. */
  readonly now?: () => number;
}

/** The format of the records in a data dir; a dir written in another format is refused. */
const FORMAT = 1;
const FORMAT_KEY = Buffer.from("format");

/**
 * Every entry in memory (a MemoryStore answers all reads, at memory speed and in UTF-16 order)
 * and on disk in LMDB, which only ever writes: each put or delete goes to the engine at once
 * (under `batch`, to the write-ahead log at once and to LMDB within 20 ms: BatchWrites), writes
 * of one event turn share one transaction (LMDB's own event-turn batching, i.e. group commit),
 * and `sync()` tells when they are durable under the policy. Opening loads the whole dir
 * back into memory, so `size` and `bytes` are right after a restart. The dataset must fit in
 * memory, as with Redis: the engine is for surviving restarts, not for holding more than RAM.
 */
export class DurableStore implements Store {
  readonly #mem: MemoryStore;
  readonly #lock: DataDirLock;
  readonly #root: RootDatabase<Buffer, Buffer>;
  /** Keys up to MAX_DIRECT_KEY_BYTES, by their encoding (in UTF-16 order). */
  readonly #data: Database<Buffer, Buffer>;
  readonly #long: Database<Buffer, Buffer>;
  /** The hints table, opened on first use (see hintLog()). */
  #hintTable: Database<Buffer, Buffer> | undefined;
  readonly #options: DurableStoreOptions;
  /** The commit the latest write joined (lmdb-js shares one promise per transaction). */
  #last: Commit | undefined;
  /** `batch` only: the write-ahead log in front of LMDB. */
  readonly #batch: BatchWrites | undefined;
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
    this.#batch =
      log &&
      new BatchWrites(log, {
        write: (table, key, record) => this.#toEngine(table, key, record),
        lastCommit: () => this.#last,
        // lmdb-js's env sync (mdb_env_sync on libuv's thread pool); absent from its type declarations.
        syncDisk: () =>
          new Promise((resolve, reject) =>
            (this.#root as unknown as { sync(done: (err?: unknown) => void): void }).sync((err) =>
              err ? reject(err) : resolve(),
            ),
          ),
        fail: (err) => this.#fail(err),
      });
    this.#mem = new MemoryStore(options.now ? { now: options.now } : {});
    this.#lock = lock;
    this.#root = root;
    // Named tables: LMDB keeps their names in the root table, so no data goes there.
    this.#data = root.openDB<Buffer, Buffer>({ name: "data", keyEncoding: "binary", encoding: "binary" });
    this.#long = root.openDB<Buffer, Buffer>({ name: "long", keyEncoding: "binary", encoding: "binary" });
  }

  /** Locks the dir, opens (or creates) the engine and loads every entry into memory. */
  static async open(options: DurableStoreOptions): Promise<DurableStore> {
    const { dir } = options;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot create ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const lock = DataDirLock.acquire(dir);
    let root: RootDatabase<Buffer, Buffer> | undefined;
    let log: WriteLog | undefined;
    try {
      root = open<Buffer, Buffer>({
        path: join(dir, "data.mdb"),
        keyEncoding: "binary",
        encoding: "binary",
        compression: false,
        separateFlushed: true,
        noSync: options.fsync === "off",
      });
      // Under batch the log holds what LMDB may not have yet: replayed (and made durable) first.
      // It is always opened, so a dir last used with batch gives its log back under any policy.
      const opened = WriteLog.open(dir);
      await replay(root, opened.writes);
      if (options.fsync === "batch") log = opened.log;
      else opened.log.close();
      const store = new DurableStore(options, lock, root, log);
      await store.#load();
      return store;
    } catch (err) {
      log?.shut();
      await root?.close().catch(() => {});
      lock.release();
      if (err instanceof DataDirError) throw err;
      throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot open ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async #load(): Promise<void> {
    const meta = this.#root.openDB<Buffer, Buffer>({
      name: "meta",
      keyEncoding: "binary",
      encoding: "binary",
    });
    const format = meta.get(FORMAT_KEY)?.[0];
    if (format === undefined) await meta.put(FORMAT_KEY, Buffer.from([FORMAT]));
    else if (format !== FORMAT) {
      throw new DataDirError(
        "DATA_DIR_UNUSABLE",
        this.#options.dir,
        `record format ${format}, expected ${FORMAT}`,
      );
    }
    for (const { key, value } of this.#data.getRange({})) this.#restore(decodeKey(key), value);
    for (const { value } of this.#long.getRange({})) {
      const { key, record } = decodeLongEntry(value);
      this.#restore(key, record);
    }
  }

  /** Versions come back as they were (the clock observes them); an expired entry too, for reclaim. */
  #restore(key: string, bytes: Buffer): void {
    const record = decodeRecord(bytes);
    if (record.kind === RecordKind.VALUE) this.#mem.put(key, record.value, record.expiresAt, record.version);
    else this.#mem.apply(key, { value: undefined, version: record.version });
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
    this.#write(key, encodeValue(value, v, expiresAt));
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
    this.#write(
      key,
      copy.value === undefined
        ? encodeTombstone(copy.version)
        : encodeValue(copy.value, copy.version, copy.expiresAt),
    );
    return true;
  }

  tombstoneKeys(): Iterable<string> {
    return this.#mem.tombstoneKeys();
  }

  /** The node's hints, in a `hints` table beside the data (an older node ignores the table). */
  hintLog(): HintLog {
    this.#hints ??= new HintTable(this.#hintRows(), (row, value) => this.#engineWrite(HINTS, row, value));
    return this.#hints;
  }

  #hintRows(): Database<Buffer, Buffer> {
    this.#hintTable ??= this.#root.openDB<Buffer, Buffer>(HINTS_TABLE_OPTIONS);
    return this.#hintTable;
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

  #write(key: string, record: Buffer): void {
    const k = encodeKey(key);
    if (k.length <= MAX_DIRECT_KEY_BYTES) this.#engineWrite(DATA, k, record);
    else this.#engineWrite(LONG, longKey(k), encodeLongEntry(k, record));
  }

  /** One write (record undefined: a removal) to LMDB, and under `batch` to the log first. */
  #engineWrite(table: number, key: Buffer, record: Buffer | undefined): void {
    if (this.#batch) this.#batch.write(table, key, record);
    else this.#toEngine(table, key, record);
  }

  #toEngine(table: number, key: Buffer, record: Buffer | undefined): void {
    const db = table === DATA ? this.#data : table === LONG ? this.#long : this.#hintRows();
    this.#track(record === undefined ? db.remove(key) : db.put(key, record));
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
    this.#batch?.flush();
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const last = this.#last;
    if (this.#options.fsync !== "always" || last === undefined) return undefined;
    return (last.flushed ?? last).then(() => {});
  }

  /**
   * Commits what is pending, releases engine and lock; idempotent. From now on every other call
   * throws StoreClosedError (the memory half refuses first): a write reaching a closing lmdb
   * would throw later, outside any caller, and end the process.
   */
  close(): Promise<void> {
    this.#closing ??= this.#mem.close().then(async () => {
      try {
        await this.#batch?.close(() => this.#failure !== undefined);
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
