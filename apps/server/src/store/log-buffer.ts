import { keyBytes, maxValueBytes, writeKeyAt, writeValueAt } from "./record.js";
import { DATA_TABLE, FRAME_START, WRITE_FIXED } from "./write-log-frames.js";

/** Writes are framed into buffers of this size, reused once taken. */
const BUFFER_BYTES = 1024 * 1024;

/**
 * Engine writes laid out in frames (write-log-frames.ts), in memory: what a write-ahead log
 * flushes to its file a frame at a time, and hands LMDB's committer a copy of (take()), so a
 * write has no object of its own while it waits for its commit. A frame is open while
 * writes are appended to it, then closed (by a flush); closed frames stay until taken.
 */
export class LogBuffer {
  /**
   * Writes are laid into #buffer up to #used; the open frame starts at #frame (-1: none).
   * Closed frames stay, from #untaken on (and in #older, for earlier buffers), until taken.
   */
  #buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  #used = 0;
  #frame = -1;
  #untaken = 0;
  #older: Array<{ bytes: Buffer; start: number; end: number }> = [];

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

  /** True when writes were appended since the open frame was last closed (or dropped). */
  get open(): boolean {
    return this.#frame >= 0;
  }

  /** The open frame's bytes (its header still to be filled in), or undefined when none is open. */
  openFrame(): Buffer | undefined {
    return this.#frame < 0 ? undefined : this.#buffer.subarray(this.#frame, this.#used);
  }

  /** Closes the open frame (its length set), for take() to hand over. */
  closeFrame(): void {
    if (this.#frame < 0) return;
    this.#buffer.writeUInt32LE(this.#used - this.#frame - 8, this.#frame);
    this.#frame = -1;
  }

  /** Forgets the open frame and its writes (a flush that failed: they were never acknowledged). */
  dropFrame(): void {
    if (this.#frame < 0) return;
    this.#used = this.#frame;
    this.#frame = -1;
  }

  /** Bytes of the closed frames not taken yet. */
  get untakenBytes(): number {
    let size = (this.#frame < 0 ? this.#used : this.#frame) - this.#untaken;
    for (const older of this.#older) size += older.end - older.start;
    return size;
  }

  /**
   * The closed frames not taken yet, oldest first, copied into one Buffer of their own (its
   * byteOffset 0: an ArrayBuffer to itself, which can be handed to another thread), or undefined
   * when there are none; their bytes here are reused from now on.
   */
  take(): Buffer | undefined {
    const end = this.#frame < 0 ? this.#used : this.#frame;
    const size = this.untakenBytes;
    let frames: Buffer | undefined;
    if (size > 0) {
      frames = Buffer.allocUnsafeSlow(size);
      let at = 0;
      for (const older of this.#older) at += older.bytes.copy(frames, at, older.start, older.end);
      this.#buffer.copy(frames, at, this.#untaken, end);
    }
    this.#older = [];
    if (this.#frame < 0) this.#used = 0; // nothing kept: the buffer starts over
    this.#untaken = Math.max(this.#frame, 0); // an open frame is taken once closed
    return frames;
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
   * is one write() call); the closed frames not yet taken stay where they are, in #older.
   */
  #grow(size: number): void {
    const old = this.#buffer;
    const open = this.#frame < 0 ? this.#used : this.#frame;
    if (open > this.#untaken) this.#older.push({ bytes: old, start: this.#untaken, end: open });
    const carried = this.#used - open;
    // Twice what the open frame needs: a frame outgrowing its buffer is copied a few times, not once a write.
    this.#buffer = Buffer.allocUnsafeSlow(Math.max(BUFFER_BYTES, 2 * (carried + size)));
    old.copy(this.#buffer, 0, open, this.#used);
    if (this.#frame >= 0) this.#frame = 0;
    this.#used = carried;
    this.#untaken = 0;
  }
}
