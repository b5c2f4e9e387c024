import type { Versioned } from "../replication/versions.js";

/** One stored entry. */
export interface Entry {
  readonly key: string;
  readonly value: string;
}

/**
 * Where a node keeps its data. Small on purpose, so a durable engine can replace the in-memory
 * one without touching the request path. Reads are synchronous and see every write made before
 * them, durable yet or not; `sync()` says when those writes have reached the disk. `scan` walks
 * keys in ascending UTF-16 order from just after `afterKey`, which is what makes GET_ALL paging
 * stable across pages.
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
  /**
   * With replication: the key's copy with its version, a deletion (tombstone) included. A key
   * written by put() (no replication) has version 0.
   */
  copy(key: string): Versioned | undefined;
  /** With replication: keeps `copy` if it supersedes the one held (see versions.ts); true if it did. */
  apply(key: string, copy: Versioned): boolean;
  /** Keys held only as a deletion (tombstone), in no particular order. */
  tombstoneKeys(): Iterable<string>;
  /** Forgets the key entirely, value or tombstone: for a node that no longer replicates it. */
  drop(key: string): void;
  /**
   * Resolves when every write made so far is durable under the store's sync policy; undefined
   * when there is nothing to wait for (an in-memory store, or `--fsync off`), so the caller can
   * answer at once without allocating a promise. Rejects if the engine failed to commit them.
   */
  sync(): Promise<void> | undefined;
  /** Commits what is pending and releases the engine (and its data-dir lock); idempotent. */
  close(): Promise<void>;
}
