import type { Entry, HybridClock, Store, StoredEntry, Versioned } from "../store/index.js";

/** Told of every change of a key's version (undefined: absent), before → after. */
export type VersionChange = (key: string, before: number | undefined, after: number | undefined) => void;

/**
 * A replicated node's store as everything on the node sees it: the real store, with each write
 * reported to `onChange` so the node's hash trees follow it write by write, whoever wrote
 * (coordinator, REPLICATE, read repair, hints, handoff, trim, tombstone purge). Reads pass
 * straight through.
 */
export class TrackedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly onChange: VersionChange,
    /** Whether the cluster replicates now (see reclaim); always, unless told. */
    private readonly replicated: () => boolean = () => true,
  ) {}

  now(): number {
    return this.inner.now();
  }

  get clock(): HybridClock {
    return this.inner.clock;
  }

  get(key: string): string | undefined {
    return this.inner.get(key);
  }

  entry(key: string): StoredEntry | undefined {
    return this.inner.entry(key);
  }

  put(key: string, value: string, expiresAt?: number, version?: number): number {
    const before = this.inner.versionOf(key);
    const after = this.inner.put(key, value, expiresAt, version);
    this.onChange(key, before, after);
    return after;
  }

  /**
   * Staged only while the cluster keeps one copy: its trees are then dropped
   * (NodeReplication.followSetting) and built from the store again if it replicates later, so
   * there is nothing to follow. Replicating, each write is reported, one by one.
   */
  stagePuts(keys: readonly string[], values: readonly string[]): (() => void) | undefined {
    return this.replicated() ? undefined : this.inner.stagePuts?.(keys, values);
  }

  delete(key: string): boolean {
    const before = this.inner.versionOf(key);
    const live = this.inner.delete(key);
    this.onChange(key, before, this.inner.versionOf(key));
    return live;
  }

  get size(): number {
    return this.inner.size;
  }

  get bytes(): number {
    return this.inner.bytes;
  }

  scan(afterKey: string | undefined): Iterable<Entry> {
    return this.inner.scan(afterKey);
  }

  copy(key: string): Versioned | undefined {
    return this.inner.copy(key);
  }

  versionOf(key: string): number | undefined {
    return this.inner.versionOf(key);
  }

  apply(key: string, copy: Versioned): boolean {
    const before = this.inner.versionOf(key);
    if (copy.value !== undefined && (before === undefined || copy.version > before)) {
      // A newer version supersedes whatever is held (versions.ts): apply() would only read the
      // held copy (its value too) to learn that, then put it with its own version. Every
      // REPLICATE entry and every coordinated write comes this way.
      this.inner.put(key, copy.value, copy.expiresAt, copy.version);
      this.onChange(key, before, copy.version);
      return true;
    }
    const applied = this.inner.apply(key, copy);
    if (applied) this.onChange(key, before, copy.version);
    return applied;
  }

  tombstoneKeys(): Iterable<string> {
    return this.inner.tombstoneKeys();
  }

  keys(): Iterable<string> {
    return this.inner.keys();
  }

  drop(key: string): void {
    const before = this.inner.versionOf(key);
    this.inner.drop(key);
    this.onChange(key, before, undefined);
  }

  /**
   * Leaves tombstones while the cluster replicates: an expired key must keep its version (so an
   * older copy cannot come back), and a tombstone at the value's version digests like the value,
   * so reclaiming changes no tree and needs no report. With one copy, as the caller asks.
   */
  reclaim(max: number, keepTombstones: boolean): number {
    return this.inner.reclaim(max, keepTombstones || this.replicated());
  }

  sync(): Promise<void> | undefined {
    return this.inner.sync();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
