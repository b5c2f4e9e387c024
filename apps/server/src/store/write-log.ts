import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { keyBytes, maxValueBytes, writeKeyAt, writeValueAt } from "./record.js";
import {
  DATA_TABLE,
  FRAME_START,
  type LoggedBytes,
  type LoggedWrite,
  parseFrames,
  sealFrame,
  visitFrames,
  WRITE_FIXED,
} from "./write-log-frames.js";

/** The log's two files: one takes writes while the other waits to be emptied. */
const FILES = ["batch-0.log", "batch-1.log"] as const;
/** Writes are framed into buffers of this size, reused once the engine has them. */
const BUFFER_BYTES = 1024 * 1024;
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
  /**
   * Writes are laid into #buffer up to #used; the frame being appended starts at #frame (-1:
   * none). Flushed frames stay, from #undrained on (and in #older, for earlier buffers), until
   * drain() hands them to the engine: the log's bytes are the only copy a write has until then.
   */
  #buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  #used = 0;
  #frame = -1;
  #undrained = 0;
  #older: Array<{ bytes: Buffer; start: number; end: number }> = [];
  readonly #cursor: LoggedBytes = {
    bytes: this.#buffer,
    table: 0,
    keyStart: 0,
    keyEnd: 0,
    recordStart: 0,
    recordEnd: 0,
  };

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
    const frame = this.#room(WRITE_FIXED + key.length + (record?.length ?? 0));
    let at = frame.writeUInt8(table, this.#used);
    at = frame.writeUInt32LE(key.length, at);
    frame.set(key, at);
    at = frame.writeInt32LE(record === undefined ? -1 : record.length, at + key.length);
    if (record !== undefined) {
      frame.set(record, at);
      at += record.length;
    }
    this.#used = at;
  }

  /**
   * Adds a value's write to the `data` table to the next flush, encoded straight into the log
   * (the same bytes as append(DATA_TABLE, encodeKey(key), encodeValue(...)), without those two
   * Buffers). The key's encoding must fit the table (MAX_DIRECT_KEY_BYTES).
   */
  appendValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    const frame = this.#room(WRITE_FIXED + keyBytes(key) + maxValueBytes(value, expiresAt));
    frame[this.#used] = DATA_TABLE;
    const keyAt = this.#used + 5;
    const keyEnd = writeKeyAt(key, frame, keyAt);
    frame.writeUInt32LE(keyEnd - keyAt, this.#used + 1);
    const end = writeValueAt(frame, keyEnd + 4, value, version, expiresAt);
    frame.writeInt32LE(end - keyEnd - 4, keyEnd);
    this.#used = end;
  }

  /** The number of the last flush: every write appended before it is in the OS. */
  get flushed(): number {
    return this.#flushes;
  }

  /** True when writes were appended since the last flush. */
  get dirty(): boolean {
    return this.#frame >= 0;
  }

  /**
   * Puts every write appended so far into the OS as one frame (one write() call) and returns its
   * flush number, for release(); 0 when there was nothing to write. Throws what the write threw
   * (the frame is then dropped: its writes were never acknowledged).
   */
  flush(): number {
    if (this.#frame < 0) return 0;
    const other = 1 - this.#active;
    if (this.#sizes[this.#active]! >= this.rotateBytes && this.#sizes[other] === 0) this.#active = other;
    const bytes = this.#buffer.subarray(this.#frame, this.#used);
    const flush = this.#flushes + 1;
    sealFrame(bytes, flush);
    let written: number;
    try {
      written = writeSync(this.#fds[this.#active]!, bytes);
      if (written !== bytes.length)
        throw new Error(`write-ahead log: wrote ${written} of ${bytes.length} bytes`);
    } catch (err) {
      this.#used = this.#frame;
      this.#frame = -1;
      throw err;
    }
    this.#frame = -1;
    this.#sizes[this.#active]! += written;
    this.#last[this.#active] = this.#flushes = flush;
    return flush;
  }

  /**
   * Shows `visit` every write flushed since the last drain, oldest first, then lets go of them
   * (their bytes are reused): the engine must have copied what it needs by the time visit
   * returns. `visit` is shown one LoggedBytes object, updated from write to write.
   */
  drain(visit: (write: LoggedBytes) => void): void {
    const older = this.#older;
    const end = this.#frame < 0 ? this.#used : this.#frame;
    try {
      for (const { bytes, start, end } of older) visitFrames(bytes, start, end, this.#cursor, visit);
      visitFrames(this.#buffer, this.#undrained, end, this.#cursor, visit);
    } finally {
      this.#older = [];
      if (this.#frame < 0) this.#used = 0; // nothing kept: the buffer starts over
      this.#undrained = Math.max(this.#frame, 0); // an open frame is drained next time
    }
  }

  /** The buffer, with room at #used for one write of `size` bytes in an open frame. */
  #room(size: number): Buffer {
    if (this.#frame < 0) {
      if (this.#used + FRAME_START + size > this.#buffer.length) this.#grow(FRAME_START + size);
      this.#frame = this.#used;
      this.#used += FRAME_START;
    } else if (this.#used + size > this.#buffer.length) this.#grow(size);
    return this.#buffer;
  }

  /**
   * Moves to a new buffer with room for `size` more bytes, carrying the open frame over (a frame
   * is one write() call); the flushed frames not yet drained stay where they are, in #older.
   */
  #grow(size: number): void {
    const old = this.#buffer;
    const open = this.#frame < 0 ? this.#used : this.#frame;
    if (open > this.#undrained) this.#older.push({ bytes: old, start: this.#undrained, end: open });
    const carried = this.#used - open;
    this.#buffer = Buffer.allocUnsafeSlow(Math.max(BUFFER_BYTES, carried + size));
    old.copy(this.#buffer, 0, open, this.#used);
    if (this.#frame >= 0) this.#frame = 0;
    this.#used = carried;
    this.#undrained = 0;
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
