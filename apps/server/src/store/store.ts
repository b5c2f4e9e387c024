import type { HintLog } from "./hint-set.js";
import type { HybridClock, Versioned } from "./versions.js";

/** One stored entry. */
export interface Entry {
  readonly key: string;
  readonly value: string;
}

/** A live entry with what a conditional write and `GET_ONE withVersion` need. */
export interface StoredEntry {
  readonly value: string;
  readonly version: number;
  /** Ms since the epoch; absent: never expires. */
  readonly expiresAt?: number;
}

/** A key removed by the background reclaim, and the version it had. */
export interface Reclaimed {
  readonly key: string;
  readonly version: number;
}

/** Where a durable store's disk stands: its write-ahead log since the last snapshot, and its snapshots. */
export interface DiskStats {
  /** Bytes written to the log since the last snapshot began. */
  readonly logBytes: number;
  /** Snapshots finished since the store was opened (the one its open takes included). */
  readonly snapshots: number;
  /** The last snapshot's bytes (0 before the first since the open). */
  readonly snapshotBytes: number;
  /** How long the last snapshot took, in seconds (0 before the first). */
  readonly lastSnapshotSeconds: number;
  /** A snapshot is under way (from the flush that starts it to its file's rename). */
  readonly snapshotting: boolean;
}

/**
 * Where a node keeps its data. Small on purpose, so a durable engine can replace the in-memory
 * one without touching the request path. Reads are synchronous and see every write made before
 * them, durable yet or not; `sync()` says when those writes have reached the disk. `scan` walks
 * keys in ascending UTF-16 order from just after `afterKey`, which is what makes GET_ALL paging
 * stable across pages.
 *
 * Every write gets a version from the store's hybrid logical clock (what compare-and-set
 * compares), and may carry an expiry. An expired entry is invisible at once to get, entry and
 * scan (against `now()`), but is only removed, and stops counting in `size` and `bytes`, when
 * `reclaim` gets to it.
 */
export interface Store {
  /** The store's time, ms since the epoch: injectable, so tests can move it. */
  now(): number;
  /** Issues the versions of this node's writes (the replicator shares it). */
  readonly clock: HybridClock;
  get(key: string): string | undefined;
  /** The live entry with its version and expiry; undefined when absent or expired. */
  entry(key: string): StoredEntry | undefined;
  /**
   * Stores `value`, expiring at `expiresAt` (undefined: never). Its version is `version` when
   * given (an entry moved here keeps its own), else the clock's next one above the key's current
   * version. Returns the version.
   */
  put(key: string, value: string, expiresAt?: number, version?: number): number;
  /**
   * Plain PUTs (no expiry, versions from the clock) whose reply may leave before they are in
   * memory: does now what must come before any reply (a durable store lays them into its log, so
   * the next `sync()` covers them) and returns the rest, the inserts. The caller runs that in the
   * same synchronous turn, right after handing the reply to the socket, before anything else can
   * touch the store, so no reader can tell; the node's round trip is then not held up by them.
   * Each PUT ends as `put(keys[i], values[i])` would have. Throws StoreClosedError when closed.
   * Absent, or undefined returned (nothing staged): the caller puts one by one.
   */
  stagePuts?(keys: readonly string[], values: readonly string[]): (() => void) | undefined;
  /** True when a live (unexpired) value existed. */
  delete(key: string): boolean;
  readonly size: number;
  /** UTF-8 bytes of every key and value held, for STATS and the memory budget. */
  readonly bytes: number;
  scan(afterKey: string | undefined): Iterable<Entry>;
  /** The key's copy with its version and expiry (expired ones too), a deletion (tombstone) included. */
  copy(key: string): Versioned | undefined;
  /** `copy(key)?.version` without building the copy: for code on every write path. */
  versionOf(key: string): number | undefined;
  /** With replication: keeps `copy` if it supersedes the one held (see versions.ts); true if it did. */
  apply(key: string, copy: Versioned): boolean;
  /** Keys held only as a deletion (tombstone), in no particular order. */
  tombstoneKeys(): Iterable<string>;
  /**
   * Every key held, values (expired ones too) and tombstones, in no particular order and without
   * the sort a `scan` may need: for a pass over everything (anti-entropy). A key written while the
   * iteration is paused may be visited or not, and one turned into a tombstone meanwhile twice.
   */
  keys(): Iterable<string>;
  /** Forgets the key entirely, value or tombstone: for a node that no longer replicates it. */
  drop(key: string): void;
  /**
   * Removes up to `max` expired entries; a small slice, so the node never pauses for it. With
   * `keepTombstones` (replication) each leaves a tombstone at its version, so an older copy on a
   * replica cannot come back through read repair. Returns how many were removed.
   */
  reclaim(max: number, keepTombstones: boolean): number;
  /**
   * Resolves when every write made so far is durable under the store's sync policy; undefined
   * when there is nothing to wait for (an in-memory store, or `--fsync off`), so the caller can
   * answer at once without allocating a promise. Rejects if the engine failed to commit them.
   */
  sync(): Promise<void> | undefined;
  /**
   * A durable store's table of replication hints, kept with the data so they survive a restart;
   * absent on a store that keeps nothing across restarts (hints then live in memory only).
   */
  hintLog?(): HintLog;
  /** A durable store's write-ahead log and snapshots, for metrics; absent on a store in memory. */
  diskStats?(): DiskStats;
  /** Commits what is pending and releases the engine (and its data-dir lock); idempotent. */
  close(): Promise<void>;
}
