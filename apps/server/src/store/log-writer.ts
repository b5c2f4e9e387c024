import type { WriteSink } from "./keyed-writes.js";
import type { PutRun } from "./put-run.js";
import type { WriteLog } from "./write-log.js";

/** What LogWriter tells its store. */
export interface LogWriterEvents {
  /** A write(), a flush or an fdatasync of the log failed: the store fails its sync() from then on. */
  fail(err: unknown): void;
  /** The log took a flush: the store may start a snapshot (Checkpoints.maybeStart). */
  flushed(): void;
}

/**
 * The write-ahead log's writer for a DurableStore: every write is appended at once, and handed to
 * the OS (one write() call) before a reply (the store's sync()) or at the end of the event-loop
 * turn, whichever comes first. With `syncEveryMs` (`--fsync batch`) it also fdatasyncs the log,
 * in libuv's pool, at most that long after a flush: what an OS crash may lose. Under `always`
 * LogSyncs fsyncs before each reply instead; under `off` nothing is fsynced.
 */
export class LogWriter implements WriteSink {
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: WriteLog,
    private readonly events: LogWriterEvents,
    private readonly syncEveryMs?: number,
  ) {}

  append(table: number, key: Buffer, record: Buffer | undefined): void {
    if (this.#closed) return; // the log failed: the store refuses to call anything durable again
    if (!this.log.dirty) setImmediate(this.flush);
    this.log.append(table, key, record);
  }

  /** A value's write to the `data` table, encoded straight into the log (see WriteLog.appendValue). */
  appendValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    if (this.#closed) return;
    if (!this.log.dirty) setImmediate(this.flush);
    this.log.appendValue(key, value, version, expiresAt);
  }

  /** A BATCH's plain PUTs as one write (see WriteLog.appendPutRun). */
  appendPutRun(run: PutRun): void {
    if (this.#closed) return;
    if (!this.log.dirty) setImmediate(this.flush);
    this.log.appendPutRun(run);
  }

  /** Hands the writes appended since the last call to the OS (one write()). */
  readonly flush = (): void => {
    if (!this.log.dirty || this.#closed) return;
    try {
      this.log.flush();
    } catch (err) {
      this.#stop(err);
      return;
    }
    if (this.syncEveryMs !== undefined && this.#timer === undefined)
      this.#timer = setTimeout(this.#sync, this.syncEveryMs);
    this.events.flushed();
  };

  readonly #sync = (): void => {
    this.#timer = undefined;
    if (this.#closed) return;
    this.log.syncFiles().catch((err: unknown) => this.#stop(err));
  };

  #stop(err: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.events.fail(err);
  }

  /**
   * Flushes what is left and, with `sync`, fdatasyncs the log; no write is taken afterwards.
   * Rejects with what failed (the log then holds what it holds, for the next open).
   */
  async close(sync: boolean): Promise<void> {
    this.flush();
    const failed = this.#closed;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (sync && !failed) await this.log.syncFiles();
  }
}
