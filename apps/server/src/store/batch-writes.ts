import type { WriteLog } from "./write-log.js";

/** What commits a write-ahead log's frames to LMDB and makes them durable: LmdbCommitter. */
export interface LogEngine {
  /**
   * Commits every write of `frames` (whole frames, in a Buffer the engine may keep) and
   * `applied`, the log's last flush number among them, in one LMDB transaction; resolves once
   * that is on disk, rejects with what failed. Commits are made in the order asked.
   */
  commit(frames: Buffer, applied: number): Promise<void>;
  /** Told of a log write, a commit or an fsync that failed; the store fails its sync() from then on. */
  fail(err: unknown): void;
  /** Lets the commits asked so far finish, then lets go of LMDB; idempotent. */
  close(): Promise<void>;
}

/**
 * Under `batch`, how long LMDB's writes are gathered into one commit (and one fsync). The log
 * makes them survive a process crash meanwhile; an OS crash may lose them (what `batch` allows).
 */
const BATCH_COMMIT_MS = 20;

/**
 * Bytes logged but not yet committed past which replies wait for LMDB (room()): the log's
 * buffers and files hold at most about this much more than LMDB.
 */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

/**
 * The write-ahead log side of a DurableStore under `--fsync batch` and `always`: every write goes
 * to the log first, which flush() hands to the OS (one write()) before a reply (under `always`,
 * LogSyncs then fsyncs it); every BATCH_COMMIT_MS, the engine commits the frames logged meanwhile
 * (on its own thread: LmdbCommitter), and the log lets go of them once they are on disk. So a
 * reply waits for LMDB only when it falls far behind (room()), and the log only ever holds what
 * LMDB may lack. One commit is under way at a time: writes logged meanwhile wait for the next,
 * which starts when it ends.
 */
export class BatchWrites {
  #timer: NodeJS.Timeout | undefined;
  /** Writes appended since the last commit began. */
  #uncommitted = false;
  #closed = false;
  /** The commit under way, settled (never rejected) once it is on disk or has failed. */
  #committing: Promise<void> | undefined;
  /** When the latest commit began (performance.now()). */
  #began = 0;
  /** The bytes of the commit under way. */
  #committingBytes = 0;
  /** Callers of room() waiting for the backlog to fall under the bound. */
  #roomWaiters: Array<() => void> = [];

  /**
   * `flushEachTurn`: whether writes no request syncs (a background reclaim) reach the OS within a
   * turn (`batch`); under `always` LogSyncs flushes before each fsync, and a commit flushes too.
   */
  constructor(
    private readonly log: WriteLog,
    private readonly engine: LogEngine,
    private readonly flushEachTurn = true,
    private readonly maxBacklogBytes = MAX_BACKLOG_BYTES,
  ) {}

  /**
   * undefined while LMDB keeps up with the log; else a promise that resolves once what is logged
   * but not yet committed is back under the bound. A reply waits for it, so writes coming faster
   * than LMDB (or the disk under it) takes them slow their writers down, instead of growing the
   * log's memory and files without bound, as the main thread's own commits once did by stopping.
   */
  room(): Promise<void> | undefined {
    if (this.#backlogBytes() <= this.maxBacklogBytes || this.#closed) return undefined;
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }

  #backlogBytes(): number {
    return this.#committingBytes + this.log.untakenBytes;
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    if (!this.#closed && this.#backlogBytes() > this.maxBacklogBytes) return;
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

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
    if (this.#committing === undefined) this.#timer = setTimeout(this.#commit, BATCH_COMMIT_MS);
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

  /** Has the engine commit the writes logged so far; the log lets go of them once they are on disk. */
  readonly #commit = (): void => {
    clearTimeout(this.#timer);
    if (!this.#uncommitted || this.#committing !== undefined || this.#closed) return;
    this.#uncommitted = false;
    this.flush(); // LMDB takes whole flushed frames only
    // Every write logged so far is in this commit or an earlier one.
    const logged = this.log.flushed;
    const frames = this.log.take();
    if (frames === undefined) return;
    this.#began = performance.now();
    this.#committingBytes = frames.length;
    this.#committing = this.engine.commit(frames, logged).then(
      () => {
        this.#committing = undefined;
        this.#committingBytes = 0;
        this.#wakeRoomWaiters();
        if (this.#closed) return;
        this.log.release(logged);
        // Writes logged during this commit go in the next, BATCH_COMMIT_MS after this one began.
        if (this.#uncommitted)
          this.#timer = setTimeout(this.#commit, BATCH_COMMIT_MS - (performance.now() - this.#began));
      },
      (err: unknown) => {
        // The store's failure (it fails sync() from then on); the log keeps the writes, for the
        // next open to replay.
        this.#committing = undefined;
        this.#closed = true;
        this.engine.fail(err);
        this.#wakeRoomWaiters(); // to find the store failed
      },
    );
  };

  /**
   * Flushes the log, has the engine commit what is left (and record the log's last flush as
   * applied) and waits until it is on disk (unless something failed: then the log holds what
   * LMDB lacks, to be replayed at the next open), then closes log and engine.
   */
  async close(failed: () => boolean): Promise<void> {
    this.flush();
    while (this.#committing !== undefined) await this.#committing;
    if (!failed()) this.#commit();
    while (this.#committing !== undefined) await this.#committing;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#wakeRoomWaiters();
    this.log.close();
    await this.engine.close();
  }
}
