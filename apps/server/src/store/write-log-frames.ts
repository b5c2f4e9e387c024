import { crc32 } from "node:zlib";

/**
 * The write-ahead log's file format, read and written in place. A flush is one frame: body
 * length (u32), CRC-32 of the body (u32), then the body: the flush number (f64), the log's
 * generation (f64: one per open of the data dir) and its writes, each table (u8), key length
 * (u32), key, record length (i32, -1: a removal), record. All little-endian. The legacy format
 * (`batch-*.log`, before files were reused in place) had no generation.
 */
export const FRAME_HEADER = 8;

/** The tables a logged write goes to: `data` (entries), `long` (entries whose key is long) and `hints`. */
export const DATA_TABLE = 0;
export const LONG_TABLE = 1;
export const HINTS_TABLE = 2;
/** Snapshots only (format 2): entries as runs of SlabTable records, with no key (slab-runs.ts). */
export const SLAB_RUN_TABLE = 3;
/** The log: a BATCH's plain PUTs in columns, with no key (put-run.ts). */
export const PUT_RUN_TABLE = 4;

const FLUSH_NUMBER = 8;
const GENERATION = 8;
/** Bytes before a frame's first write. */
export const FRAME_START = FRAME_HEADER + FLUSH_NUMBER + GENERATION;
/** The same in the legacy format. */
export const LEGACY_FRAME_START = FRAME_HEADER + FLUSH_NUMBER;
/** Bytes of a write besides its key and record. */
export const WRITE_FIXED = 1 + 4 + 4;

/** One write as logged: its table, its key as stored, and its record (undefined: a removal). */
export interface LoggedWrite {
  readonly table: number;
  readonly key: Buffer;
  readonly record: Buffer | undefined;
}

/** One frame read back: its flush number, its generation (0 in the legacy format) and its writes. */
export interface LoggedFrame {
  readonly flush: number;
  readonly generation: number;
  readonly writes: LoggedWrite[];
}

/** Fills in a frame's header, from its flush number to its CRC: `frame` is the whole frame. */
export function sealFrame(frame: Buffer, flush: number, generation: number): void {
  frame.writeUInt32LE(frame.length - FRAME_HEADER, 0);
  frame.writeDoubleLE(flush, FRAME_HEADER);
  frame.writeDoubleLE(generation, FRAME_HEADER + FLUSH_NUMBER);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
}

/** Where one frame lies in a file's bytes, and its number and generation (0 in the legacy format). */
export interface FrameSpan {
  /** Its first write, and its end. */
  readonly from: number;
  readonly end: number;
  readonly flush: number;
  readonly generation: number;
}

/**
 * The frames of one file from its start, up to the first that is torn or corrupt (`start`: the
 * format's FRAME_START): where each lies, its writes not read yet (visitWrites). A frame that
 * does not add up is as good as torn.
 */
export function scanFrames(bytes: Buffer, start = FRAME_START): FrameSpan[] {
  const out: FrameSpan[] = [];
  let at = 0;
  while (at + start <= bytes.length) {
    const end = at + FRAME_HEADER + bytes.readUInt32LE(at);
    if (end < at + start || end > bytes.length) break;
    if (crc32(bytes.subarray(at + FRAME_HEADER, end)) !== bytes.readUInt32LE(at + 4)) break;
    if (!visitWrites(bytes, at + start, end)) break;
    const flush = bytes.readDoubleLE(at + FRAME_HEADER);
    const generation = start === FRAME_START ? bytes.readDoubleLE(at + FRAME_HEADER + FLUSH_NUMBER) : 0;
    out.push({ from: at + start, end, flush, generation });
    at = end;
  }
  return out;
}

/** The frames of one file, as scanFrames finds them, with their writes (copied out of `bytes`). */
export function parseFrames(bytes: Buffer, start = FRAME_START): LoggedFrame[] {
  return scanFrames(bytes, start).map(({ from, end, flush, generation }) => {
    const writes: LoggedWrite[] = [];
    visitWrites(bytes, from, end, (w) => writes.push(copyWrite(w)));
    return { flush, generation, writes };
  });
}

/**
 * The frames a file reused in place holds for its current use: from its start, while each is of
 * the first one's generation and numbered one past the one before. Whatever follows (frames of
 * the file's earlier uses, this generation's or an older one's) is stale and never replayed.
 */
export function currentFrames<F extends { readonly flush: number; readonly generation: number }>(
  frames: readonly F[],
): F[] {
  let n = 0;
  while (
    n < frames.length &&
    (n === 0 ||
      (frames[n]!.generation === frames[0]!.generation && frames[n]!.flush === frames[n - 1]!.flush + 1))
  )
    n++;
  return frames.slice(0, n);
}

/**
 * Shows `visit` (when given) each write in bytes[from, end), in order, its key and record views
 * of `bytes` (copy what is kept: copyWrite); false when the writes do not add up to exactly that
 * range (then a frame is corrupt: call it without `visit` first).
 */
export function visitWrites(
  bytes: Buffer,
  from: number,
  end: number,
  visit?: (write: LoggedWrite) => void,
): boolean {
  let w = from;
  while (w + WRITE_FIXED <= end) {
    const table = bytes[w]!;
    const keyLength = bytes.readUInt32LE(w + 1);
    if (w + WRITE_FIXED + keyLength > end) return false;
    const recordLength = bytes.readInt32LE(w + 5 + keyLength);
    const recordAt = w + WRITE_FIXED + keyLength;
    if (recordAt + Math.max(0, recordLength) > end) return false;
    visit?.({
      table,
      key: bytes.subarray(w + 5, w + 5 + keyLength),
      record: recordLength < 0 ? undefined : bytes.subarray(recordAt, recordAt + recordLength),
    });
    w = recordAt + Math.max(0, recordLength);
  }
  return w === end;
}

/** A write whose key and record are Buffers of their own. */
export function copyWrite({ table, key, record }: LoggedWrite): LoggedWrite {
  return { table, key: Buffer.from(key), record: record === undefined ? undefined : Buffer.from(record) };
}
