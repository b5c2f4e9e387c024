import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { RootDatabase } from "lmdb";

/** The tables a logged write goes to: LMDB's `data`, `long` and `hints`. */
export const DATA_TABLE = 0;
export const LONG_TABLE = 1;
export const HINTS_TABLE = 2;
const TABLE_NAMES = ["data", "long", "hints"] as const;
/** How the hints table is opened, by the store and by a replay alike. */
export const HINTS_TABLE_OPTIONS = {
  name: TABLE_NAMES[HINTS_TABLE],
  keyEncoding: "binary",
  encoding: "binary",
} as const;

/** One engine write as logged: its table, its key as stored, and its record (undefined: a removal). */
export interface LoggedWrite {
  readonly table: number;
  readonly key: Buffer;
  readonly record: Buffer | undefined;
}

/** The log's two files: one takes writes while the other waits to be emptied. */
const FILES = ["batch-0.log", "batch-1.log"] as const;
/** Writes are framed into a buffer of this size, reused from one flush to the next. */
const BUFFER_BYTES = 1024 * 1024;
/** Size past which writes move to the other file (once it is empty). */
const ROTATE_BYTES = 16 * 1024 * 1024;
/**
 * A flush is one frame: body length (u32), CRC-32 of the body (u32), then the body: the flush
 * number (f64) and its writes, each table (u8), key length (u32), key, record length (i32, -1:
 * a removal), record.
 */
const FRAME_HEADER = 8;
const FLUSH_NUMBER = 8;
const WRITE_FIXED = 1 + 4 + 4;

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
  /** Frames appended since the last flush: in #buffer up to #used, and buffers filled before it. */
  #buffer = Buffer.allocUnsafeSlow(BUFFER_BYTES);
  #used = 0;
  #full: Buffer[] = [];

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
      found.push(...parse(bytes));
    }
    // Each flush went whole to one file; a stable sort keeps a flush's writes in their order.
    found.sort((a, b) => a.flush - b.flush);
    const flushes = found.length === 0 ? 0 : found[found.length - 1]!.flush;
    return { log: new WriteLog(fds, sizes, flushes, rotateBytes), writes: found.map((f) => f.write) };
  }

  /** Adds one write to the next flush. */
  append(table: number, key: Buffer, record: Buffer | undefined): void {
    const size = WRITE_FIXED + key.length + (record?.length ?? 0);
    if (this.#used === 0 && this.#full.length === 0) this.#used = FRAME_HEADER + FLUSH_NUMBER; // room for the header
    if (this.#used + size > this.#buffer.length) this.#grow(size);
    const frame = this.#buffer;
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

  /** The number of the last flush: every write appended before it is in the OS. */
  get flushed(): number {
    return this.#flushes;
  }

  /** True when writes were appended since the last flush. */
  get dirty(): boolean {
    return this.#used > 0 || this.#full.length > 0;
  }

  /**
   * Puts every write appended so far into the OS as one frame (one write() call; the buffer is
   * then reused) and returns its flush number, for release(); 0 when there was nothing to write.
   * Throws what the write threw.
   */
  flush(): number {
    if (!this.dirty) return 0;
    const other = 1 - this.#active;
    if (this.#sizes[this.#active]! >= this.rotateBytes && this.#sizes[other] === 0) this.#active = other;
    const current = this.#buffer.subarray(0, this.#used);
    const bytes = this.#full.length === 0 ? current : Buffer.concat([...this.#full, current]);
    this.#full = [];
    this.#used = 0;
    const flush = this.#flushes + 1;
    bytes.writeUInt32LE(bytes.length - FRAME_HEADER, 0);
    bytes.writeDoubleLE(flush, FRAME_HEADER);
    bytes.writeUInt32LE(crc32(bytes.subarray(FRAME_HEADER)), 4);
    const written = writeSync(this.#fds[this.#active]!, bytes);
    if (written !== bytes.length)
      throw new Error(`write-ahead log: wrote ${written} of ${bytes.length} bytes`);
    this.#sizes[this.#active]! += written;
    this.#last[this.#active] = this.#flushes = flush;
    return flush;
  }

  /** Sets the frames so far aside and starts a buffer with room for `size` more. */
  #grow(size: number): void {
    if (this.#used > 0) this.#full.push(this.#buffer.subarray(0, this.#used));
    this.#buffer = Buffer.allocUnsafeSlow(Math.max(BUFFER_BYTES, size));
    this.#used = 0;
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

/**
 * Applies a write-ahead log's writes to LMDB in one transaction and waits for it to be fsynced,
 * so the log can be emptied: they are the suffix of LMDB's own writes that it may have lost, in
 * order, so replaying all of them, even those it has, ends in the state the writes left.
 */
export async function replay(
  root: RootDatabase<Buffer, Buffer>,
  writes: readonly LoggedWrite[],
): Promise<void> {
  if (writes.length === 0) return;
  const tables = TABLE_NAMES.map((name) =>
    root.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" }),
  );
  await root.transaction(() => {
    for (const { table, key, record } of writes) {
      const db = tables[table]!;
      if (record === undefined) db.removeSync(key);
      else db.putSync(key, record);
    }
  });
  await root.flushed;
}

/** The writes of one file's frames, in order, up to the first frame that is torn or corrupt. */
function parse(bytes: Buffer): Array<{ flush: number; write: LoggedWrite }> {
  const out: Array<{ flush: number; write: LoggedWrite }> = [];
  let at = 0;
  while (at + FRAME_HEADER + FLUSH_NUMBER <= bytes.length) {
    const end = at + FRAME_HEADER + bytes.readUInt32LE(at);
    if (end > bytes.length || crc32(bytes.subarray(at + FRAME_HEADER, end)) !== bytes.readUInt32LE(at + 4))
      break;
    const flush = bytes.readDoubleLE(at + FRAME_HEADER);
    const writes: Array<{ flush: number; write: LoggedWrite }> = [];
    let w = at + FRAME_HEADER + FLUSH_NUMBER;
    while (w + WRITE_FIXED <= end) {
      const table = bytes.readUInt8(w);
      const keyLength = bytes.readUInt32LE(w + 1);
      if (w + WRITE_FIXED + keyLength > end) break;
      const key = Buffer.from(bytes.subarray(w + 5, w + 5 + keyLength));
      const recordLength = bytes.readInt32LE(w + 5 + keyLength);
      const recordAt = w + WRITE_FIXED + keyLength;
      if (recordAt + Math.max(0, recordLength) > end) break;
      const record =
        recordLength < 0 ? undefined : Buffer.from(bytes.subarray(recordAt, recordAt + recordLength));
      writes.push({ flush, write: { table, key, record } });
      w = recordAt + Math.max(0, recordLength);
    }
    if (w !== end) break; // a frame that does not add up is as good as torn
    out.push(...writes);
    at = end;
  }
  return out;
}
