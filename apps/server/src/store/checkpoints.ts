import { SnapshotWriter } from "./snapshot-file.js";
import type { DiskStats } from "./store.js";
import type { WriteLog } from "./write-log.js";

/** The log grows by at least this much between snapshots (and by the last snapshot's size, if more). */
export const CHECKPOINT_MIN_BYTES = 64 * 1024 * 1024;
/** Entry ids a snapshot goes through per event-loop turn (about a millisecond of work). */
const IDS_PER_SLICE = 2048;

/** What a checkpoint needs of its store. */
export interface CheckpointStore {
  /** The data dir, where the snapshot goes. */
  readonly dir: string;
  /** Whether the log is fsynced before a snapshot is put in place (not under `off`). */
  readonly syncLog: boolean;
  /** Hands the log's appended writes to the OS. */
  flush(): void;
  /** Lays the entries with ids in [from, from + count) into the writer; the id to go on from (-1: done). */
  writeEntries(writer: SnapshotWriter, from: number, count: number): number;
  /** Lays the tombstones and hints into the writer. */
  writeRest(writer: SnapshotWriter): void;
  /** A checkpoint failed (disk full, I/O error): the store fails its sync() from then on. */
  fail(err: unknown): void;
}

/**
 * When and how a DurableStore's write-ahead log is cut short: a snapshot of every entry is
 * written beside it, and the log's files then let go of the frames it covers. Like Redis' AOF
 * rewrite, a snapshot starts once the log has grown by max(CHECKPOINT_MIN_BYTES, the last
 * snapshot's size) since the last began, so the disk holds a few times the data at most and each
 * write is rewritten a bounded number of times.
 *
 * A snapshot is taken a slice at a time between requests, while writes go on: it is fuzzy, each
 * entry as it was at some moment during the snapshot. It names the log's flush number N from
 * before it began, and an open replays every frame past N over it: a write made during the
 * snapshot is in those frames whether the snapshot caught it or not, so the result is exactly
 * the state the log's writes left. Each step can be interrupted: until the rename that puts the
 * new snapshot in place, the last one and the whole log are untouched; after it, the frames up
 * to N are never read again.
 */
export class Checkpoints {
  #running: Promise<void> | undefined;
  #closed = false;
  /** The log's `written` when the last snapshot began. */
  #writtenAtLast: number;
  /** The last snapshot's bytes. */
  #lastBytes = 0;
  #finished = 0;
  #lastSeconds = 0;

  constructor(
    private readonly log: WriteLog,
    private readonly store: CheckpointStore,
    private readonly minBytes = CHECKPOINT_MIN_BYTES,
    private readonly idsPerSlice = IDS_PER_SLICE,
  ) {
    this.#writtenAtLast = log.written;
  }

  /** The log's growth since the last snapshot began, and the snapshots finished. */
  stats(): DiskStats {
    return {
      logBytes: this.log.written - this.#writtenAtLast,
      snapshots: this.#finished,
      snapshotBytes: this.#lastBytes,
      lastSnapshotSeconds: this.#lastSeconds,
      snapshotting: this.#running !== undefined,
    };
  }

  /**
   * Called after each flush: starts a snapshot, a slice per turn, once the log has grown enough.
   * It starts in a turn of its own, never inside the one that flushed: that may be a request's,
   * whose staged PUTs (Store.stagePuts) are in the log but go into memory only after its reply,
   * later in the turn. A first slice run there would miss them, while the flush number it names
   * says the snapshot holds them, so a restart would replay neither.
   */
  maybeStart(): void {
    if (this.#running !== undefined || this.#closed) return;
    if (this.log.written - this.#writtenAtLast < Math.max(this.minBytes, this.#lastBytes)) return;
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => (this.#closed ? undefined : this.#run(true)))
      .catch((err: unknown) => this.store.fail(err))
      .finally(() => {
        this.#running = undefined;
      });
  }

  /** A whole snapshot now, in one go: an open's, before anything is written. Rejects with what failed. */
  async now(): Promise<void> {
    await this.#running;
    await this.#run(false);
  }

  async #run(sliced: boolean): Promise<void> {
    const began = performance.now();
    this.#writtenAtLast = this.log.written; // first: the flush below must not start another
    this.store.flush();
    const applied = this.log.flushed;
    const writer = SnapshotWriter.create(this.store.dir, applied);
    try {
      for (let from = 0; from >= 0; ) {
        from = this.store.writeEntries(writer, from, this.idsPerSlice);
        if (sliced) await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#closed) {
          writer.abort();
          return;
        }
      }
      this.store.writeRest(writer);
      // The log first: after an OS crash it then holds every write the snapshot may hold, so
      // what an open gives back is still a prefix of the writes, in order.
      if (this.store.syncLog) {
        this.store.flush();
        await this.log.syncFiles();
      }
      await writer.finish();
    } catch (err) {
      writer.abort();
      throw err;
    }
    this.#lastBytes = writer.bytes;
    this.#lastSeconds = (performance.now() - began) / 1000;
    this.#finished++;
    this.log.release(applied);
  }

  /**
   * Stops a snapshot under way (the last finished one stays; no slice runs from this call on)
   * and waits for it; idempotent.
   */
  close(): Promise<void> {
    this.#closed = true;
    return this.#running ?? Promise.resolve();
  }
}
