import { keyBytes, maxValueBytes, writeKeyAt, writeValueAt } from "./record.js";
import { DATA_TABLE, FRAME_START, WRITE_FIXED } from "./write-log-frames.js";

/** Writes are framed into a buffer of at least this size, reused from frame to frame. */
const BUFFER_BYTES = 1024 * 1024;

/**
 * Writes laid out in a frame (write-log-frames.ts), in memory: what a write-ahead log or a
 * snapshot writes to its file a frame at a time, with no object per write. A frame is open while
 * writes are appended to it; once written (or its write failed), dropFrame() forgets it and the
 * buffer is reused.
 */
export class LogBuffer {
  /** Writes are laid into #buffer up to #used; the open frame starts at 0 (#frame -1: none open). */
  #buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  #used = 0;
  #frame = -1;

  /** Adds one write (record undefined: a removal) to the open frame. */
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
   * Adds a value's write to the `data` table, encoded straight into the frame (the same bytes as
   * append(DATA_TABLE, encodeKey(key), encodeValue(...)), without those two Buffers). The key's
   * encoding must fit the table (MAX_DIRECT_KEY_BYTES).
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

  /**
   * The buffer, with room for a write of up to `size` bytes at `end`, for a caller that lays the
   * write's bytes itself (slab-runs.ts, put-run.ts) and then calls extend() with where they end.
   */
  reserve(size: number): Buffer {
    return this.#room(size);
  }

  /** Where the open frame's bytes end: where reserve()'s room starts. */
  get end(): number {
    return this.#used;
  }

  /** Takes the bytes laid from `end` up to `to` into the open frame. */
  extend(to: number): void {
    this.#used = to;
  }

  /** True when writes were appended since the open frame was last dropped. */
  get open(): boolean {
    return this.#frame >= 0;
  }

  /** The open frame's bytes (its header still to be filled in), or undefined when none is open. */
  openFrame(): Buffer | undefined {
    return this.#frame < 0 ? undefined : this.#buffer.subarray(0, this.#used);
  }

  /** Forgets the open frame and its writes: written, or its write failed (then never acknowledged). */
  dropFrame(): void {
    this.#used = 0;
    this.#frame = -1;
  }

  /** The buffer, with room at #used for one write of `size` bytes in an open frame. */
  #room(size: number): Buffer {
    if (this.#frame < 0) {
      if (FRAME_START + size > this.#buffer.length) this.#grow(FRAME_START + size);
      this.#frame = 0;
      this.#used = FRAME_START;
    } else if (this.#used + size > this.#buffer.length) this.#grow(size);
    return this.#buffer;
  }

  /** Moves to a new buffer with room for `size` more bytes, carrying the open frame over (a frame is one write() call). */
  #grow(size: number): void {
    const old = this.#buffer;
    // Twice what the open frame needs: a frame outgrowing its buffer is copied a few times, not once a write.
    this.#buffer = Buffer.allocUnsafeSlow(Math.max(BUFFER_BYTES, 2 * (this.#used + size)));
    old.copy(this.#buffer, 0, 0, this.#used);
  }
}
