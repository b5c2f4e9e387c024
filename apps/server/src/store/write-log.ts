import {
  closeSync,
  constants,
  existsSync,
  fdatasync,
  fstatSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { LogBuffer } from "./log-buffer.js";
import { layPutRun, type PutRun } from "./put-run.js";
import { syncDir } from "./sync-dir.js";
import { type LoggedWrite, sealFrame } from "./write-log-frames.js";
import { unappliedWrites } from "./write-log-replay.js";

/** The log's two files: one takes writes while the other waits for a snapshot to cover it. */
const FILES = ["wal-0.log", "wal-1.log"] as const;
/** Size past which writes move to the other file (once it is free again). */
const ROTATE_BYTES = 16 * 1024 * 1024;
/** A file grows by zeros written ahead of its frames: at least this much, at most the next. */
const MIN_GROWTH = 64 * 1024;
const MAX_GROWTH = 4 * 1024 * 1024;

export type { LoggedWrite } from "./write-log-frames.js";

/** Where a log stands against its store's snapshot: what it was opened with. */
export interface WriteLogOptions {
  /** The last flush number the snapshot covers (0: none). */
  readonly applied?: number;
  /** This open's generation, above every earlier one's (log-generation.ts keeps the count). */
  readonly generation?: number;
  readonly rotateBytes?: number;
  /**
   * Whether a file's blocks are written (with zeros) before the frames that fill them: under
   * `always`, so an fdatasync of a frame commits no metadata. Under `batch` no fdatasync waits
   * on the log, and zeros would only be more bytes for the disk.
   */
  readonly preallocate?: boolean;
}

/**
 * A DurableStore's write-ahead log: every write is appended here, and flush() puts what was
 * appended into the OS with one write() before the node replies, so a process crash loses nothing
 * acknowledged: the next open replays the log over the store's snapshot. Under `batch` the store
 * fdatasyncs it in the background (LogWriter); under `always` before the reply (LogSyncs).
 *
 * Each flush is one frame with a CRC, its flush number and the open's generation. The files are
 * reused in place, never truncated (a write() into cached pages costs less than an append), and
 * under `always` their blocks are written with zeros ahead of the frames, so an fdatasync of a
 * frame writes its blocks and nothing of the file system's metadata (an appended file's also
 * commits the journal: two flushes of the disk instead of one). A file is written from its
 * start again once a snapshot covers every frame it holds (release()): the snapshot names the
 * last flush number it covers, and a replay skips frames up to it. Frames left from a file's
 * earlier uses are never replayed: a file's
 * frames count only from its start, while each is of the first one's generation and numbered one
 * past the one before (currentFrames).
 */
export class WriteLog {
  readonly #fds: number[];
  /** Under `preallocate`, bytes of each file written with zeros or frames: it is never shorter. */
  readonly #allocated: number[];
  /** Where each file's next frame goes: 0 once released. */
  readonly #sizes: number[] = [0, 0];
  /** The last flush number written to each file. */
  readonly #last: number[] = [0, 0];
  /** Whether each file was written since the last syncFiles(). */
  readonly #unsynced: boolean[] = [false, false];
  #active = 0;
  #flushes: number;
  /** The writes appended since the last flush: the next frame. */
  readonly #buffer = new LogBuffer();
  /** Bytes flushed since the log was opened. */
  #written = 0;
  /** Every fdatasync started so far, settled: a later syncFiles() also waits for those still running. */
  #syncing: Promise<void> = Promise.resolve();

  private constructor(
    fds: number[],
    flushes: number,
    private readonly generation: number,
    private readonly rotateBytes: number,
    private readonly preallocate: boolean,
  ) {
    this.#fds = fds;
    this.#allocated = fds.map((fd) => fstatSync(fd).size);
    this.#flushes = flushes;
  }

  /**
   * Opens the log in `dir` with the writes it holds past the snapshot, oldest first, to be
   * applied before anything else: shown to `visit` one by one (views of the files' bytes), or,
   * without it, returned.
   */
  static open(
    dir: string,
    options: WriteLogOptions = {},
    visit?: (write: LoggedWrite) => void,
  ): { log: WriteLog; writes: LoggedWrite[] } {
    const fds: number[] = [];
    const files: Buffer[] = [];
    let created = false;
    for (const name of FILES) {
      const path = join(dir, name);
      created ||= !existsSync(path);
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      fds.push(fd);
      files.push(readFileSync(fd));
    }
    // An fsynced frame must still be found after a power loss: its file's name too.
    if (created) syncDir(dir);
    const { writes, last } = unappliedWrites(files, options.applied ?? 0, visit);
    const log = new WriteLog(
      fds,
      last,
      options.generation ?? 1,
      options.rotateBytes ?? ROTATE_BYTES,
      options.preallocate ?? false,
    );
    return { log, writes };
  }

  /** Adds one write to the next flush. */
  append(table: number, key: Buffer, record: Buffer | undefined): void {
    this.#buffer.append(table, key, record);
  }

  /** Some of a BATCH's plain PUTs as one write (put-run.ts). */
  appendPutRun(run: PutRun): void {
    layPutRun(this.#buffer, run);
  }

  /** A value's write to the `data` table, encoded straight into the log (LogBuffer.appendValue). */
  appendValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    this.#buffer.appendValue(key, value, version, expiresAt);
  }

  /** The number of the last flush: every write appended before it is in the OS. */
  get flushed(): number {
    return this.#flushes;
  }

  /** True when writes were appended since the last flush. */
  get dirty(): boolean {
    return this.#buffer.open;
  }

  /**
   * Puts every write appended so far into the OS as one frame (one write() call, and one more
   * when the file must grow first) and returns its flush number, for release(); 0 when there
   * was nothing to write. Throws what the write threw (the frame is then dropped: its writes
   * were never acknowledged).
   */
  flush(): number {
    const bytes = this.#buffer.openFrame();
    if (bytes === undefined) return 0;
    const other = 1 - this.#active;
    if (this.#sizes[this.#active]! >= this.rotateBytes && this.#sizes[other] === 0) this.#active = other;
    const file = this.#active;
    const at = this.#sizes[file]!;
    const flush = this.#flushes + 1;
    sealFrame(bytes, flush, this.generation);
    try {
      if (this.preallocate) this.#grow(file, at + bytes.length);
      const written = writeSync(this.#fds[file]!, bytes, 0, bytes.length, at);
      if (written !== bytes.length)
        throw new Error(`write-ahead log: wrote ${written} of ${bytes.length} bytes`);
    } catch (err) {
      this.#buffer.dropFrame();
      throw err;
    }
    this.#buffer.dropFrame();
    this.#written += bytes.length;
    this.#sizes[file] = at + bytes.length;
    this.#unsynced[file] = true;
    this.#last[file] = this.#flushes = flush;
    return flush;
  }

  /** Writes zeros past a file's end so it holds `size` bytes and more (their blocks allocated now, once). */
  #grow(file: number, size: number): void {
    const allocated = this.#allocated[file]!;
    if (size <= allocated) return;
    const growth = Math.min(MAX_GROWTH, Math.max(MIN_GROWTH, allocated));
    const zeros = Buffer.alloc(Math.ceil((size - allocated) / growth) * growth);
    const written = writeSync(this.#fds[file]!, zeros, 0, zeros.length, allocated);
    this.#allocated[file] = allocated + written;
    if (written !== zeros.length)
      throw new Error(`write-ahead log: grew by ${written} of ${zeros.length} bytes`);
  }

  /** Bytes flushed since the log was opened: what a snapshot engine measures the log's growth by. */
  get written(): number {
    return this.#written;
  }

  /**
   * fdatasyncs every file written since the last call (in libuv's pool, off the event loop):
   * once it resolves, every write flushed before the call is on disk. It also waits for the
   * fdatasyncs earlier calls started (a file one of them is still syncing is not synced again).
   */
  syncFiles(): Promise<void> {
    const fds = this.#fds.filter((_, i) => this.#unsynced[i]);
    this.#unsynced.fill(false);
    const synced = Promise.all([
      this.#syncing,
      ...fds.map(
        (fd) =>
          new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve()))),
      ),
    ]).then(() => {});
    this.#syncing = synced.catch(() => {});
    return synced;
  }

  /**
   * A snapshot covering every write up to flush number `upTo` is in place: files holding nothing
   * newer are written from their start again.
   */
  release(upTo: number): void {
    for (let i = 0; i < FILES.length; i++) if (this.#last[i]! <= upTo) this.#sizes[i] = 0;
  }

  /** Closes the files as they are (what they hold past the snapshot is replayed at the next open). */
  close(): void {
    for (const fd of this.#fds) closeSync(fd);
  }
}
