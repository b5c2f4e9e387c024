import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { LogBuffer } from "./log-buffer.js";
import { type LoggedBytes, type LoggedWrite, parseFrames, sealFrame } from "./write-log-frames.js";

/** The log's two files: one takes writes while the other waits to be emptied. */
const FILES = ["batch-0.log", "batch-1.log"] as const;
/** Size past which writes move to the other file (once it is empty). */
const ROTATE_BYTES = 16 * 1024 * 1024;

export type { LoggedBytes, LoggedWrite } from "./write-log-frames.js";

/**
 * `--fsync batch`'s write-ahead log: every write the store hands its engine is also appended
 * here, and flush() puts what was appended into the OS with one write() before the node
 * replies, so a reply never waits for an engine commit, yet a process crash loses nothing
 * acknowledged: the next open replays the log into the engine. Nothing here is fsynced; the
 * engine's own background fsync is what an OS crash falls back on, so a file is emptied only
 * once the engine has flushed every write it holds (release()), and the log then replays the
 * whole suffix the engine may lack, in order. Each flush is one frame with a CRC, so a torn tail
 * (an OS crash mid-write) ends the replay at the last whole flush.
 */
export class WriteLog {
  readonly #fds: number[];
  readonly #sizes: number[];
  /** The last flush number written to each file. */
  readonly #last: number[] = [0, 0];
  #active = 0;
  #flushes: number;
  /** The writes appended, by frame: one frame per flush, kept until drained. */
  readonly #buffer = new LogBuffer();

  private constructor(
    fds: number[],
    sizes: number[],
    flushes: number,
    private readonly rotateBytes: number,
  ) {
    this.#fds = fds;
    this.#sizes = sizes;
    this.#flushes = flushes;
  }

  /**
   * Opens the log in `dir` and returns it with the writes it holds, oldest first: what the
   * engine may lack after a crash, to be applied before anything else and then released.
   */
  static open(dir: string, rotateBytes = ROTATE_BYTES): { log: WriteLog; writes: LoggedWrite[] } {
    const found: Array<{ flush: number; write: LoggedWrite }> = [];
    const fds: number[] = [];
    const sizes: number[] = [];
    for (const name of FILES) {
      const path = join(dir, name);
      const fd = openSync(path, "a+");
      fds.push(fd);
      const bytes = readFileSync(path);
      sizes.push(bytes.length);
      found.push(...parseFrames(bytes));
    }
    // Each flush went whole to one file; a stable sort keeps a flush's writes in their order.
    found.sort((a, b) => a.flush - b.flush);
    const flushes = found.length === 0 ? 0 : found[found.length - 1]!.flush;
    return { log: new WriteLog(fds, sizes, flushes, rotateBytes), writes: found.map((f) => f.write) };
  }

  /** Adds one write to the next flush. */
  append(table: number, key: Buffer, record: Buffer | undefined): void {
    this.#buffer.append(table, key, record);
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
   * Puts every write appended so far into the OS as one frame (one write() call) and returns its
   * flush number, for release(); 0 when there was nothing to write. Throws what the write threw
   * (the frame is then dropped: its writes were never acknowledged).
   */
  flush(): number {
    const bytes = this.#buffer.openFrame();
    if (bytes === undefined) return 0;
    const other = 1 - this.#active;
    if (this.#sizes[this.#active]! >= this.rotateBytes && this.#sizes[other] === 0) this.#active = other;
    const flush = this.#flushes + 1;
    sealFrame(bytes, flush);
    let written: number;
    try {
      written = writeSync(this.#fds[this.#active]!, bytes);
      if (written !== bytes.length)
        throw new Error(`write-ahead log: wrote ${written} of ${bytes.length} bytes`);
    } catch (err) {
      this.#buffer.dropFrame();
      throw err;
    }
    this.#buffer.closeFrame();
    this.#sizes[this.#active]! += written;
    this.#last[this.#active] = this.#flushes = flush;
    return flush;
  }

  /** Shows `visit` every write flushed since the last drain, then lets go of them (LogBuffer.drain). */
  drain(visit: (write: LoggedBytes) => void): void {
    this.#buffer.drain(visit);
  }

  /** The engine has flushed every write up to flush number `upTo`: files holding nothing newer are emptied. */
  release(upTo: number): void {
    for (let i = 0; i < FILES.length; i++) {
      if (this.#sizes[i] === 0 || this.#last[i]! > upTo) continue;
      ftruncateSync(this.#fds[i]!, 0);
      this.#sizes[i] = 0;
    }
  }

  /** Empties both files (everything is in the engine and flushed) and closes them. */
  close(): void {
    for (const fd of this.#fds) ftruncateSync(fd, 0);
    this.shut();
  }

  /** Closes the files as they are (what they hold is replayed at the next open). */
  shut(): void {
    for (const fd of this.#fds) closeSync(fd);
  }
}
