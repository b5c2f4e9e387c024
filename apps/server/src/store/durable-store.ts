import { mkdirSync } from "node:fs";
import { CHECKPOINT_MIN_BYTES, Checkpoints } from "./checkpoints.js";
import { DataDirError, StoreClosedError, StoreCommitError } from "./errors.js";
import { type HintLog, HintSet } from "./hint-set.js";
import { appendEntry, appendRecord } from "./keyed-writes.js";
import { holdsLmdb, migrateLmdbDir } from "./lmdb-migration.js";
import { DataDirLock } from "./lock.js";
import { readGeneration, writeGeneration } from "./log-generation.js";
import { LogSyncs } from "./log-syncs.js";
import { LogWriter } from "./log-writer.js";
import { MemoryStore } from "./memory-store.js";
import { encodeTombstone, keyBytes, MAX_DIRECT_KEY_BYTES } from "./record.js";
import { WriteRestorer } from "./restore-writes.js";
import { recordKey, recordValue, SlabRunWriter } from "./slab-runs.js";
import { readSnapshot, type SnapshotWriter } from "./snapshot-file.js";
import type { DiskStats, Entry, Store, StoredEntry } from "./store.js";
import type { SyncPolicy } from "./sync-policy.js";
import { type HybridClock, supersedes, type Versioned } from "./versions.js";
import { WriteLog } from "./write-log.js";
import { HINTS_TABLE as HINTS } from "./write-log-frames.js";

export interface DurableStoreOptions {
  /** This store's own dir (a node uses `<data-dir>/<node-id>`); created when missing. */
  readonly dir: string;
  readonly fsync: SyncPolicy;
  /** Told when a write to disk fails (disk full, I/O error); `sync()` rejects from then on. */
  readonly onError?: (err: unknown) => void;
  /** The store's clock, ms since the epoch (default Date.now), for expiry and versions. */
  readonly now?: () => number;
  /** The log's least growth between snapshots (default CHECKPOINT_MIN_BYTES; tests make it small). */
  readonly checkpointBytes?: number;
  /** Entry ids a snapshot goes through per event-loop turn (tests make it small, to interleave writes). */
  readonly snapshotSliceIds?: number;
}

/**
 * PUTs per `put run` write. Its keys and its values are each joined into one string first, and a
 * string over 128 KiB goes to V8's large-object pages, each fresh memory (a 4000-PUT BATCH of
 * 100-byte values joined whole: ~400 KB): 512 PUTs of such values stay well under.
 */
const PUT_RUN_MAX = 512;

/** Under `batch`, how long the log's writes stay in the OS before an fdatasync. */
const BATCH_SYNC_MS = 20;

/**
 * Every entry in memory (a MemoryStore answers all reads, at memory speed and in UTF-16 order)
 * and on disk as a snapshot plus a write-ahead log, as Redis keeps an RDB file and an AOF: each
 * put or delete is appended to the log at once (LogWriter) and in the OS before the reply;
 * `sync()` says when it is durable under the policy (under `always`, once the log is fsynced:
 * LogSyncs). Once the log has grown enough, a snapshot of every entry is written beside it, a
 * slice per event-loop turn, and the log lets go of what it covers (Checkpoints). Opening loads
 * the snapshot and replays the log past it, then, when the log held anything past it, takes a
 * snapshot at once, so the log starts over. The dataset must fit in memory, as with Redis: the
 * disk is for surviving restarts, not for holding more than RAM.
 */
export class DurableStore implements Store {
  readonly #mem: MemoryStore;
  readonly #lock: DataDirLock;
  readonly #log: WriteLog;
  readonly #options: DurableStoreOptions;
  readonly #writer: LogWriter;
  /** `always` only: the group commit of the log's fsyncs. */
  readonly #logSyncs: LogSyncs | undefined;
  readonly #checkpoints: Checkpoints;
  readonly #hints: HintSet;
  #failure: unknown;
  #closing: Promise<void> | undefined;

  private constructor(
    options: DurableStoreOptions,
    lock: DataDirLock,
    log: WriteLog,
    mem: MemoryStore,
    hints: HintSet,
  ) {
    this.#options = options;
    this.#lock = lock;
    this.#log = log;
    this.#mem = mem;
    this.#hints = hints;
    const fail = (err: unknown) => this.#fail(err);
    this.#checkpoints = new Checkpoints(
      log,
      {
        dir: options.dir,
        syncLog: options.fsync !== "off",
        flush: () => this.#writer.flush(),
        writeEntries: (writer, from, count) => this.#writeEntries(writer, from, count),
        writeRest: (writer) => this.#writeRest(writer),
        fail,
      },
      options.checkpointBytes ?? CHECKPOINT_MIN_BYTES,
      options.snapshotSliceIds,
    );
    this.#writer = new LogWriter(
      log,
      { fail, flushed: () => this.#checkpoints.maybeStart() },
      options.fsync === "batch" ? BATCH_SYNC_MS : undefined,
    );
    this.#logSyncs =
      options.fsync === "always"
        ? new LogSyncs(log, { flush: this.#writer.flush, failure: () => this.#failure, fail })
        : undefined;
  }

  /** Locks the dir and loads it: its snapshot, then the log's writes past it (see the class). */
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
    let log: WriteLog | undefined;
    try {
      if (holdsLmdb(dir)) await migrateLmdbDir(dir);
      const mem = new MemoryStore(options.now ? { now: options.now } : {});
      let store: DurableStore | undefined;
      const hints = new HintSet((row, key) => store!.#writer.append(HINTS, row, key));
      const restorer = new WriteRestorer(mem, hints);
      const applied = readSnapshot(dir, restorer.apply) ?? 0;
      const generation = readGeneration(dir) + 1;
      writeGeneration(dir, generation);
      const preallocate = options.fsync === "always";
      log = WriteLog.open(dir, { applied, generation, preallocate }, restorer.apply).log;
      store = new DurableStore(options, lock, log, mem, hints);
      // This open's frames go to the log's files from their start: past the snapshot, the
      // files must hold nothing still wanted (nor frames a replay has to skip for good).
      if (log.flushed > applied) await store.#checkpoints.now();
      return store;
    } catch (err) {
      log?.close();
      lock.release();
      if (err instanceof DataDirError) throw err;
      throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot open ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
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
    appendEntry(this.#writer, key, value, v, expiresAt);
    return v;
  }

  /**
   * The log first, as one `put run` write (put-run.ts) unless a key is too long for the `data`
   * table, so the reply's `sync()` covers the puts; the inserts once it has left
   * (Store.stagePuts). Their versions come from the clock without reading each key's: every
   * version held here was issued or observed by that clock, so its next one is above them all.
   */
  stagePuts(keys: readonly string[], values: readonly string[]): () => void {
    if (this.#closing !== undefined) throw new StoreClosedError("put");
    const versions = new Array<number>(keys.length);
    let short = true;
    for (let i = 0; i < keys.length; i++) {
      versions[i] = this.#mem.clock.next();
      if (keyBytes(keys[i]!) > MAX_DIRECT_KEY_BYTES) short = false;
    }
    if (short) {
      for (let from = 0; from < keys.length; from += PUT_RUN_MAX) {
        const to = Math.min(keys.length, from + PUT_RUN_MAX);
        this.#writer.appendPutRun({ keys, values, versions, from, to });
      }
    } else
      for (let i = 0; i < keys.length; i++)
        appendEntry(this.#writer, keys[i]!, values[i]!, versions[i]!, undefined);
    return () => {
      for (let i = 0; i < keys.length; i++) this.#mem.put(keys[i]!, values[i]!, undefined, versions[i]);
    };
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
    if (copy.value === undefined) appendRecord(this.#writer, key, encodeTombstone(copy.version));
    else appendEntry(this.#writer, key, copy.value, copy.version, copy.expiresAt);
    return true;
  }

  tombstoneKeys(): Iterable<string> {
    return this.#mem.tombstoneKeys();
  }

  diskStats(): DiskStats {
    return this.#checkpoints.stats();
  }

  /** The node's hints, kept as the entries are (HintSet). */
  hintLog(): HintLog {
    return this.#hints;
  }

  keys(): Iterable<string> {
    return this.#mem.keys();
  }

  drop(key: string): void {
    if (this.#mem.copy(key) === undefined) return;
    this.#mem.drop(key);
    appendRecord(this.#writer, key, undefined);
  }

  /** Reclaims in memory, then on disk the same way: removed, or a tombstone written. */
  reclaim(max: number, keepTombstones: boolean): number {
    const gone = this.#mem.reclaimKeys(max, keepTombstones);
    for (const { key, version } of gone) {
      appendRecord(this.#writer, key, keepTombstones ? encodeTombstone(version) : undefined);
    }
    return gone.length;
  }

  delete(key: string): boolean {
    const held = this.#mem.copy(key)?.value !== undefined; // an expired value is still on disk
    const live = this.#mem.delete(key);
    if (held) appendRecord(this.#writer, key, undefined);
    return live;
  }

  /**
   * A snapshot's slice: the entries with ids in [from, from + count), as runs of their records'
   * bytes (SlabRunWriter); one with an expiry as the log writes it, from its strings.
   */
  #writeEntries(writer: SnapshotWriter, from: number, count: number): number {
    const runs = new SlabRunWriter(writer.buffer);
    const next = this.#mem.visitRecords(from, count, (chunk, offset, version, expiresAt) => {
      if (expiresAt === undefined) runs.add(chunk, offset, version);
      else
        appendEntry(writer.buffer, recordKey(chunk, offset), recordValue(chunk, offset), version, expiresAt);
      writer.added();
    });
    runs.flush(); // before the slice ends: records move between slices
    return next;
  }

  /** A snapshot's last slice: the tombstones and the hints. */
  #writeRest(writer: SnapshotWriter): void {
    this.#mem.visitTombstones((key, version) => {
      appendRecord(writer.buffer, key, encodeTombstone(version));
      writer.added();
    });
    this.#hints.visit((row, encodedKey) => {
      writer.buffer.append(HINTS, row, encodedKey);
      writer.added();
    });
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
    if (this.#logSyncs !== undefined) {
      if (this.#failure !== undefined) return Promise.reject(this.#failure);
      return this.#logSyncs.sync();
    }
    this.#writer.flush(); // `batch` and `off`: in the OS before the reply
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return undefined;
  }

  /**
   * Flushes (and, unless `off`, fsyncs) the log, stops a snapshot under way, releases the files
   * and the lock; idempotent. From now on every other call throws StoreClosedError (the memory
   * half refuses first).
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const snapshotStopped = this.#checkpoints.close(); // before the memory half refuses its slices
    this.#closing = this.#mem.close().then(async () => {
      try {
        await this.#logSyncs?.close();
        await snapshotStopped;
        await this.#writer.close(this.#options.fsync !== "off" && this.#failure === undefined);
      } finally {
        this.#log.close();
        this.#lock.release();
      }
    });
    return this.#closing;
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined) return;
    const { message, code } = err as { message?: string; code?: unknown };
    const failure = new StoreCommitError(
      `writing ${this.#options.dir} failed: ${String(message ?? err)}`,
      typeof code === "string" ? code : undefined,
    );
    failure.cause = err;
    this.#failure = failure;
    this.#options.onError?.(failure);
  }
}
