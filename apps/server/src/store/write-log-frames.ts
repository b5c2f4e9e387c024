import { crc32 } from "node:zlib";

/**
 * The write-ahead log's file format, read and written in place. A flush is one frame: body
 * length (u32), CRC-32 of the body (u32), then the body: the flush number (f64) and its writes,
 * each table (u8), key length (u32), key, record length (i32, -1: a removal), record. All
 * little-endian.
 */
export const FRAME_HEADER = 8;

/** The tables a logged write goes to: LMDB's `data`, `long` and `hints` (see LmdbTables). */
export const DATA_TABLE = 0;
export const LONG_TABLE = 1;
export const HINTS_TABLE = 2;

const FLUSH_NUMBER = 8;
/** Bytes before a frame's first write. */
export const FRAME_START = FRAME_HEADER + FLUSH_NUMBER;
/** Bytes of a write besides its key and record. */
export const WRITE_FIXED = 1 + 4 + 4;

/** One engine write as logged: its table, its key as stored, and its record (undefined: a removal). */
export interface LoggedWrite {
  readonly table: number;
  readonly key: Buffer;
  readonly record: Buffer | undefined;
}

/**
 * One logged write where it lies in a log buffer, as WriteLog.drain shows it: one object reused
 * from write to write, so handing a window's writes to the engine allocates nothing per write.
 * Offsets are into `bytes` itself (whose byteOffset is 0).
 */
export interface LoggedBytes {
  bytes: Buffer;
  table: number;
  keyStart: number;
  keyEnd: number;
  /** -1: a removal. */
  recordStart: number;
  recordEnd: number;
}

/** Fills in a frame's header, from its flush number to its CRC: `frame` is the whole frame. */
export function sealFrame(frame: Buffer, flush: number): void {
  frame.writeUInt32LE(frame.length - FRAME_HEADER, 0);
  frame.writeDoubleLE(flush, FRAME_HEADER);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER)), 4);
}

/**
 * Shows `visit` every write of the whole frames in bytes[from, to), in order (frames this
 * process wrote: their lengths are trusted, not checked).
 */
export function visitFrames(
  bytes: Buffer,
  from: number,
  to: number,
  at: LoggedBytes,
  visit: (write: LoggedBytes) => void,
): void {
  at.bytes = bytes;
  for (let frame = from; frame < to; ) {
    const end = frame + FRAME_HEADER + bytes.readUInt32LE(frame);
    for (let w = frame + FRAME_START; w < end; ) {
      at.table = bytes[w]!;
      at.keyStart = w + 5;
      at.keyEnd = at.keyStart + bytes.readUInt32LE(w + 1);
      const recordLength = bytes.readInt32LE(at.keyEnd);
      at.recordStart = recordLength < 0 ? -1 : at.keyEnd + 4;
      at.recordEnd = at.keyEnd + 4 + Math.max(0, recordLength);
      w = at.recordEnd;
      visit(at);
    }
    frame = end;
  }
}

/** The writes of one file's frames, in order, up to the first frame that is torn or corrupt. */
export function parseFrames(bytes: Buffer): Array<{ flush: number; write: LoggedWrite }> {
  const out: Array<{ flush: number; write: LoggedWrite }> = [];
  let at = 0;
  while (at + FRAME_START <= bytes.length) {
    const end = at + FRAME_HEADER + bytes.readUInt32LE(at);
    if (end > bytes.length || crc32(bytes.subarray(at + FRAME_HEADER, end)) !== bytes.readUInt32LE(at + 4))
      break;
    const flush = bytes.readDoubleLE(at + FRAME_HEADER);
    const writes: Array<{ flush: number; write: LoggedWrite }> = [];
    let w = at + FRAME_START;
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
