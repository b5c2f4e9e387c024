import type { LogBuffer } from "./log-buffer.js";
import { RecordFormatError } from "./record.js";
import type { RawBuffer } from "./slab-record.js";
import { PUT_RUN_TABLE, WRITE_FIXED } from "./write-log-frames.js";

/** The run's texts are ASCII, a byte per char; else UTF-16 code units, little-endian. */
const ASCII = 1;
const HEAD = 5;

/** PUTs [from, to) of a BATCH's columns, with their versions: what one put run holds. */
export interface PutRun {
  readonly keys: readonly string[];
  readonly values: readonly string[];
  readonly versions: readonly number[];
  readonly from: number;
  readonly to: number;
}

/**
 * Lays a BATCH's plain PUTs (Store.stagePuts) into the log as one `put run` write, in columns:
 * `count` (u32), whether the texts are ASCII (u8), each PUT's version (f64), each key's length and
 * each value's length (u32, in chars), then the keys and the values, each column as one text. Laid
 * one write each, a PUT cost ~0.2 µs of the node's main thread: its key encoded a char at a time,
 * its header field by field, its value by a call into C++ of its own; here the two columns are
 * joined and written by two calls for the whole batch. Every key and value are laid in full, so
 * only keys that fit the `data` table may go (a `long` key's row would not be known to its
 * removal when replayed: keep those to appendEntry).
 */
export function layPutRun(buffer: LogBuffer, run: PutRun): void {
  const { keys, values, versions, from, to } = run;
  const n = to - from;
  const keyText = keys.slice(from, to).join("");
  const valueText = values.slice(from, to).join("");
  // A text's UTF-8 is as long as the text only when every char is ASCII.
  const ascii =
    Buffer.byteLength(keyText) === keyText.length && Buffer.byteLength(valueText) === valueText.length;
  const unit = ascii ? 1 : 2;
  const length = HEAD + 16 * n + unit * (keyText.length + valueText.length);
  const out = buffer.reserve(WRITE_FIXED + length) as RawBuffer;
  let at = buffer.end;
  out[at] = PUT_RUN_TABLE;
  out.writeUInt32LE(0, at + 1); // no key
  out.writeInt32LE(length, at + 5);
  at = out.writeUInt32LE(n, at + WRITE_FIXED);
  out[at++] = ascii ? ASCII : 0;
  for (let i = from; i < to; i++) at = out.writeDoubleLE(versions[i]!, at);
  for (let i = from; i < to; i++) at = out.writeUInt32LE(keys[i]!.length, at);
  for (let i = from; i < to; i++) at = out.writeUInt32LE(values[i]!.length, at);
  at += ascii ? out.latin1Write(keyText, at) : out.ucs2Write(keyText, at);
  at += ascii ? out.latin1Write(valueText, at) : out.ucs2Write(valueText, at);
  buffer.extend(at);
}

/**
 * Shows `visit` each PUT of a `put run` write's record, in order. Throws RecordFormatError when
 * the record does not add up (its frame's CRC held, so only a bug makes one).
 */
export function visitPutRun(
  record: Buffer,
  visit: (key: string, value: string, version: number) => void,
): void {
  const raw = record as RawBuffer;
  if (record.length < HEAD) throw new RecordFormatError("a put run shorter than its head");
  const n = record.readUInt32LE(0);
  const unit = record[4] === ASCII ? 1 : 2;
  const keyLengths = HEAD + 8 * n;
  const valueLengths = keyLengths + 4 * n;
  let keyAt = valueLengths + 4 * n;
  if (keyAt > record.length) throw new RecordFormatError("a put run shorter than its lengths");
  let chars = 0;
  for (let i = 0; i < n; i++) chars += record.readUInt32LE(keyLengths + 4 * i);
  let valueAt = keyAt + unit * chars;
  for (let i = 0; i < n; i++) chars += record.readUInt32LE(valueLengths + 4 * i);
  if (keyAt + unit * chars !== record.length) throw new RecordFormatError("a put run's texts do not add up");
  for (let i = 0; i < n; i++) {
    const keyEnd = keyAt + unit * record.readUInt32LE(keyLengths + 4 * i);
    const valueEnd = valueAt + unit * record.readUInt32LE(valueLengths + 4 * i);
    const key = unit === 1 ? raw.latin1Slice(keyAt, keyEnd) : raw.ucs2Slice(keyAt, keyEnd);
    const value = unit === 1 ? raw.latin1Slice(valueAt, valueEnd) : raw.ucs2Slice(valueAt, valueEnd);
    visit(key, value, record.readDoubleLE(HEAD + 8 * i));
    keyAt = keyEnd;
    valueAt = valueEnd;
  }
}
