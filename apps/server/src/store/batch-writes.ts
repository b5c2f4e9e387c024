import type { WriteLog } from "./write-log.js";

/**
 * Under `batch`, how long LMDB's writes are gathered into one commit (and one fsync). The log
 * makes them survive a process crash meanwhile; an OS crash may lose them (what `batch` allows).
 */
const BATCH_COMMIT_MS = 20;

/** A commit as lmdb-js returns it: resolved once committed, `flushed` once fsynced. */
export type Commit = Promise<boolean> & { flushed?: Promise<void> };

/** What BatchWrites needs of its store. */
export interface BatchEngine {
  /** Hands one write (record undefined: a removal) to LMDB. */
  write(table: number, key: Buffer, record: Buffer | undefined): void;
  /** The commit the latest write joined (every earlier one resolves before it). */
  lastCommit(): Commit | undefined;
  /** fsyncs everything committed so far (LMDB's env sync, off the main thread). */
  syncDisk(): Promise<void>;
  /** Told of a log write that failed; the store fails its sync() from then on. */
  fail(err: unknown): void;
}

/**
 * `--fsync batch`'s side of a DurableStore: every write goes to the write-ahead log first, which
 * flush() hands to the OS (one write()) before a reply; LMDB is handed the writes of
 * BATCH_COMMIT_MS at once, and the log lets go of them once LMDB has flushed them. So a reply
 * never waits for LMDB, and the log only ever holds what LMDB may lack.
 */
export class BatchWrites {
  #deferred: Array<{ table: number; key: Buffer; record: Buffer | undefined }> = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /**
   * Releases, one after another: each waits for its commit, then for an fsync of everything
   * committed by then, and only then lets the log go of what that commit holds. (lmdb-js's own
   * `flushed` promise is not relied on: the log is what stands between a write and its loss.)
   */
  #releases: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: WriteLog,
    private readonly engine: BatchEngine,
  ) {}

  write(table: number, key: Buffer, record: Buffer | undefined): void {
    // A write no request syncs (a background reclaim) still reaches the OS within a turn.
    if (!this.log.dirty) setImmediate(this.flush);
    this.log.append(table, key, record);
    if (this.#deferred.length === 0) this.#timer = setTimeout(this.#commit, BATCH_COMMIT_MS);
    this.#deferred.push({ table, key, record });
  }

  /** Hands the writes logged since the last call to the OS (one write()). */
  readonly flush = (): void => {
    if (!this.log.dirty || this.#closed) return;
    try {
      this.log.flush();
    } catch (err) {
      this.#closed = true;
      this.engine.fail(err);
    }
  };

  /** Hands LMDB the writes deferred so far; the log lets go of them once LMDB has flushed them. */
  readonly #commit = (): void => {
    clearTimeout(this.#timer);
    const writes = this.#deferred;
    if (writes.length === 0) return;
    this.#deferred = [];
    for (const { table, key, record } of writes) this.engine.write(table, key, record);
    // Every write logged so far is in this commit or an earlier one (a later flush number, not
    // yet assigned, is released by a later commit).
    const logged = this.log.flushed;
    const commit = this.engine.lastCommit();
    if (commit === undefined) return;
    this.#releases = this.#releases
      .then(() => commit)
      .then(() => this.engine.syncDisk())
      .then(
        () => {
          if (!this.#closed) this.log.release(logged);
        },
        // A failed commit or fsync is the store's failure (it fails sync() from then on); the
        // log keeps the writes, for the next open to replay.
        (err: unknown) => this.engine.fail(err),
      );
  };

  /**
   * Flushes the log, hands LMDB what is left and, once LMDB has flushed it all, empties the log
   * (unless something failed: then it stays, to be replayed at the next open).
   */
  async close(failed: () => boolean): Promise<void> {
    this.flush();
    if (!failed()) this.#commit();
    await this.#releases; // every commit in, fsynced, and no fsync left running when LMDB closes
    this.#closed = true;
    if (failed()) this.log.shut();
    else this.log.close();
  }
}
