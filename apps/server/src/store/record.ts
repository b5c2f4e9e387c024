/**
 * The on-disk form of one stored key and record, kept in one pure module so the format has one
 * definition and its tests. A record is
 *
 *   [kind: u8][version: float64 big-endian][value: UTF-8]
 *
 * kind 0 is a value; kind 1 is reserved for tombstones (a deleted key that keeps its version, for
 * replication), which carry no value. The version is a hybrid-logical-clock number, 0 until
 * versions exist. An unknown kind is refused rather than guessed at, so a newer format read by an
 * older node fails loudly.
 */

/** What a record holds. */
export const RecordKind = { VALUE: 0, TOMBSTONE: 1 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** A decoded record: a value, or a tombstone (no value). */
export type StoredRecord =
  | { readonly kind: typeof RecordKind.VALUE; readonly version: number; readonly value: string }
  | { readonly kind: typeof RecordKind.TOMBSTONE; readonly version: number };

/** Bytes before the value: the kind and the version. */
export const RECORD_HEADER_BYTES = 9;

/** A record that is too short or of a kind this node does not know. */
export class RecordFormatError extends Error {
  readonly code = "BAD_RECORD";
  override readonly name = "RecordFormatError";
}

/** A value record. */
export function encodeValue(value: string, version = 0): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + Buffer.byteLength(value));
  out[0] = RecordKind.VALUE;
  out.writeDoubleBE(version, 1);
  out.write(value, RECORD_HEADER_BYTES, "utf8");
  return out;
}

/** A tombstone record (reserved: nothing writes one yet). */
export function encodeTombstone(version: number): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  out[0] = RecordKind.TOMBSTONE;
  out.writeDoubleBE(version, 1);
  return out;
}

export function decodeRecord(bytes: Uint8Array): StoredRecord {
  if (bytes.length < RECORD_HEADER_BYTES) {
    throw new RecordFormatError(`record of ${bytes.length} bytes is shorter than its header`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const version = buf.readDoubleBE(1);
  switch (buf[0]) {
    case RecordKind.VALUE:
      return { kind: RecordKind.VALUE, version, value: buf.toString("utf8", RECORD_HEADER_BYTES) };
    case RecordKind.TOMBSTONE:
      return { kind: RecordKind.TOMBSTONE, version };
    default:
      throw new RecordFormatError(`unknown record kind ${buf[0]}`);
  }
}

/** First byte of a user key's encoding; other values are free for internal keys later. */
export const USER_KEY_PREFIX = 0x00;

/**
 * A key as a prefix byte and then its UTF-16 big-endian code units: byte order then equals the
 * protocol's UTF-16 key order (so an engine scan is a GET_ALL scan), a lone surrogate, legal in a
 * JSON string, survives where UTF-8 would replace it, and the empty key is not empty on disk
 * (LMDB refuses zero-length keys).
 */
export function encodeKey(key: string): Buffer {
  const out = Buffer.allocUnsafe(1 + key.length * 2);
  out[0] = USER_KEY_PREFIX;
  out.write(key, 1, "utf16le");
  out.subarray(1).swap16();
  return out;
}

export function decodeKey(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 1 || bytes[0] !== USER_KEY_PREFIX) {
    throw new RecordFormatError(`not a user key: ${bytes.length} bytes, prefix ${bytes[0]}`);
  }
  // Copy: swap16 works in place, and the engine may hand out a view of its own memory.
  return Buffer.from(bytes.subarray(1)).swap16().toString("utf16le");
}
