import type { LogBuffer } from "./log-buffer.js";
import { MAX_DIRECT_KEY_BYTES, RECORD_HEADER_BYTES, RecordKind, USER_KEY_PREFIX } from "./record.js";
import { HEADER_BYTES, isAscii, KEY, type RawBuffer, readText, textBytes, VALUE } from "./slab-record.js";
import { DATA_TABLE, WRITE_FIXED } from "./write-log-frames.js";

/**
 * A SlabTable record (slab-record.ts) laid into a snapshot as the write-ahead log frames a value
 * (LogBuffer.appendValue's bytes), copied from the record's bytes: no string is made and none is
 * encoded again, which is most of what a snapshot costs per entry. Only records whose value is
 * ASCII (then its UTF-8 is the bytes it is stored as) and whose key fits the `data` table are
 * copied so; the others are decoded (recordKey, recordValue) and appended as strings.
 */
export function copyAsLogWrite(
  buffer: LogBuffer,
  chunk: RawBuffer,
  offset: number,
  version: number,
): boolean {
  const keyWord = chunk.readUInt32LE(offset + 4 * KEY);
  const valueWord = chunk.readUInt32LE(offset + 4 * VALUE);
  if (!isAscii(valueWord)) return false;
  const units = textBytes(keyWord) >>> (isAscii(keyWord) ? 0 : 1);
  const keyLength = 1 + 2 * units;
  if (keyLength > MAX_DIRECT_KEY_BYTES) return false;
  const valueBytes = valueWord;
  const out = buffer.reserve(WRITE_FIXED + keyLength + RECORD_HEADER_BYTES + valueBytes);
  let at = buffer.end;
  out[at] = DATA_TABLE;
  out.writeUInt32LE(keyLength, at + 1);
  at += 5;
  out[at++] = USER_KEY_PREFIX;
  // The key as UTF-16 big-endian code units: from a byte per char, or from little-endian units.
  const keyAt = offset + HEADER_BYTES;
  if (isAscii(keyWord)) {
    for (let i = 0; i < units; i++, at += 2) {
      out[at] = 0;
      out[at + 1] = chunk[keyAt + i]!;
    }
  } else {
    for (let i = 0; i < units; i++, at += 2) {
      out[at] = chunk[keyAt + 2 * i + 1]!;
      out[at + 1] = chunk[keyAt + 2 * i]!;
    }
  }
  out.writeInt32LE(RECORD_HEADER_BYTES + valueBytes, at);
  out[at + 4] = RecordKind.VALUE;
  out.writeDoubleBE(version, at + 5);
  at += 4 + RECORD_HEADER_BYTES;
  const valueAt = keyAt + textBytes(keyWord);
  if (valueBytes <= 32) for (let i = 0; i < valueBytes; i++) out[at + i] = chunk[valueAt + i]!;
  else chunk.copy(out, at, valueAt, valueAt + valueBytes);
  buffer.extend(at + valueBytes);
  return true;
}

/** The key of the record at `offset`. */
export function recordKey(chunk: RawBuffer, offset: number): string {
  return readText(chunk, chunk.readUInt32LE(offset + 4 * KEY), offset + HEADER_BYTES);
}

/** The value of the record at `offset`. */
export function recordValue(chunk: RawBuffer, offset: number): string {
  const keyWord = chunk.readUInt32LE(offset + 4 * KEY);
  return readText(chunk, chunk.readUInt32LE(offset + 4 * VALUE), offset + HEADER_BYTES + textBytes(keyWord));
}
