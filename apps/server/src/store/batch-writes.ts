import type { LogEngine } from "./log-buffer.js";
import type { WriteLog } from "./write-log.js";

/**
 * Under `batch`, how long LMDB's writes are gathered into one commit (and one fsync). The log
 * makes them survive a process crash meanwhile; an OS crash may lose them (what `batch` allows).
 */
const BATCH_COMMIT_MS = 20;

/**
 * The write-ahead log side of a DurableStore under `--fsync batch` and `always`: every write goes
 * to the log first, which flush() hands to the OS (one write()) before a reply (under `always`,
 * LogSyncs then fsyncs it); every BATCH_COMMIT_MS, LMDB commits the writes logged meanwhile, read
 * straight from the log's buffers (no object per write lives until then), and the log lets go of
 * them once LMDB has flushed them. So a reply never waits for LMDB, and the log only ever holds
 * what LMDB may lack.
 */
export class BatchWrites {
  #timer: NodeJS.Timeout | undefined;
  /** Writes appended since the last commit. */
  #uncommitted = false;
  #closed = false;
  /**
   * Releases, one after another: each waits for an fsync of everything committed by then, and
   * only then lets the log go of what that commit holds. (lmdb-js's own `flushed` promise is not
   * relied on: the log is what stands between a write and its loss.)
   */
  #releases: Promise<void> = Promise.resolve();

  /**
   * `flushEachTurn`: whether writes no request syncs (a background reclaim) reach the OS within a
   * turn (`batch`); under `always` LogSyncs flushes before each fsync, and a commit flushes too.
   */
  constructor(
    private readonly log: WriteLog,
    private readonly engine: LogEngine,
    private readonly flushEachTurn = true,
  ) {}

  write(table: number, key: Buffer, record: Buffer | undefined): void {
    if (this.#closed) return; // the log failed: the store refuses to call anything durable again
    this.#schedule();
    this.log.append(table, key, record);
  }

  /** A value's write to the `data` table, encoded straight into the log (see WriteLog.appendValue). */
  writeValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    if (this.#closed) return;
    this.#schedule();
    this.log.appendValue(key, value, version, expiresAt);
  }

  #schedule(): void {
    // A write no request syncs (a background reclaim) still reaches the OS within a turn.
    if (this.flushEachTurn && !this.log.dirty) setImmediate(this.flush);
    if (this.#uncommitted) return;
    this.#uncommitted = true;
    this.#timer = setTimeout(this.#commit, BATCH_COMMIT_MS);
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

  /** Has LMDB commit the writes logged so far; the log lets go of them once LMDB has flushed them. */
  readonly #commit = (): void => {
    clearTimeout(this.#timer);
    if (!this.#uncommitted) return;
    this.#uncommitted = false;
    this.flush(); // LMDB takes whole flushed frames only
    // Every write logged so far is in this commit or an earlier one.
    const logged = this.log.flushed;
    try {
      this.engine.commit((visit) => this.log.drain(visit), logged);
    } catch (err) {
      // The store's failure (it fails sync() from then on); the log keeps the writes, for the
      // next open to replay.
      this.#closed = true;
      this.engine.fail(err);
      return;
    }
    this.#releases = this.#releases
      .then(() => this.engine.syncDisk())
      .then(
        () => {
          if (!this.#closed) this.log.release(logged);
        },
        (err: unknown) => this.engine.fail(err),
      );
  };

  /**
   * Flushes the log, has LMDB commit what is left (and record the log's last flush as applied)
   * and waits until LMDB has flushed it all (unless something failed: then the log holds what
   * LMDB lacks, to be replayed at the next open).
   */
  async close(failed: () => boolean): Promise<void> {
    this.flush();
    if (!failed()) this.#commit();
    await this.#releases; // every commit in, fsynced, and no fsync left running when LMDB closes
    this.#closed = true;
    this.log.close();
  }
}
