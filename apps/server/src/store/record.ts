import { createHash } from "node:crypto";

/**
 * The on-disk form of one stored key and record, kept in one pure module so the format has one
 * definition and its tests. A record is
 *
 *   kind 0, a value:               [0][version: float64 BE][value: UTF-8]
 *   kind 1, a tombstone:           [1][version: float64 BE]
 *   kind 2, a value that expires:  [2][version: float64 BE][expiresAt: float64 BE, ms][value: UTF-8]
 *
 * A tombstone is a deleted key that keeps its version (replication). The version is a
 * hybrid-logical-clock number (0 in records written before every write had one). Kind 2 is how
 * expiry was added without a format bump: a dir written before it holds kinds 0 and 1 only and
 * reads as it always did. An unknown kind is refused rather than guessed at, so a newer record read
 * by an older node fails loudly (an older node refuses a dir holding kind 2).
 */

/** What a record holds, as its first byte. */
export const RecordKind = { VALUE: 0, TOMBSTONE: 1, EXPIRING_VALUE: 2 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** A decoded record: a value (with its expiry, if it has one), or a tombstone (no value). */
export type StoredRecord =
  | {
      readonly kind: typeof RecordKind.VALUE;
      readonly version: number;
      readonly value: string;
      readonly expiresAt?: number;
    }
  | { readonly kind: typeof RecordKind.TOMBSTONE; readonly version: number };

/** Bytes before the value: the kind and the version. */
export const RECORD_HEADER_BYTES = 9;
/** Bytes before the value of an expiring value: the kind, the version and the expiry. */
const EXPIRING_HEADER_BYTES = RECORD_HEADER_BYTES + 8;

/** A record that is too short or of a kind this node does not know. */
export class RecordFormatError extends Error {
  readonly code = "BAD_RECORD";
  override readonly name = "RecordFormatError";
}

/** A value record: kind 0, or kind 2 when it expires. */
export function encodeValue(value: string, version = 0, expiresAt?: number): Buffer {
  const out = Buffer.allocUnsafe(valueHeaderBytes(expiresAt) + Buffer.byteLength(value));
  writeValueAt(out, 0, value, version, expiresAt);
  return out;
}

/** Bytes of a value record's header: the kind, the version and, when it expires, the expiry. */
function valueHeaderBytes(expiresAt: number | undefined): number {
  return expiresAt === undefined ? RECORD_HEADER_BYTES : EXPIRING_HEADER_BYTES;
}

/** The most bytes a value record can take (UTF-8 takes at most 3 bytes per UTF-16 unit). */
export function maxValueBytes(value: string, expiresAt: number | undefined): number {
  return valueHeaderBytes(expiresAt) + 3 * value.length;
}

/**
 * Writes encodeValue's bytes into `out` at `at`, which has room for maxValueBytes: a record laid
 * straight into a larger buffer (the write-ahead log's), with no Buffer of its own. Returns where
 * the record ends.
 */
export function writeValueAt(
  out: Buffer,
  at: number,
  value: string,
  version: number,
  expiresAt: number | undefined,
): number {
  out[at] = expiresAt === undefined ? RecordKind.VALUE : RecordKind.EXPIRING_VALUE;
  out.writeDoubleBE(version, at + 1);
  if (expiresAt !== undefined) out.writeDoubleBE(expiresAt, at + RECORD_HEADER_BYTES);
  const start = at + valueHeaderBytes(expiresAt);
  return start + (out as Utf8Writable).utf8Write(value, start, out.length - start);
}

/** Node's UTF-8 writer, without write()'s argument handling (there since Node 0.x). */
interface Utf8Writable extends Buffer {
  utf8Write(text: string, offset: number, length: number): number;
}

/** A tombstone record: a deleted key's version. */
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
    case RecordKind.EXPIRING_VALUE: {
      if (bytes.length < EXPIRING_HEADER_BYTES) {
        throw new RecordFormatError(`expiring record of ${bytes.length} bytes is shorter than its header`);
      }
      const expiresAt = buf.readDoubleBE(RECORD_HEADER_BYTES);
      const value = buf.toString("utf8", EXPIRING_HEADER_BYTES);
      return { kind: RecordKind.VALUE, version, value, expiresAt };
    }
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
  const out = Buffer.allocUnsafe(keyBytes(key));
  writeKeyAt(key, out, 0);
  return out;
}

/** Bytes of a key's encoding. */
export function keyBytes(key: string): number {
  return 1 + key.length * 2;
}

/** Writes encodeKey's bytes into `out` at `at` (room for keyBytes); returns where they end. */
export function writeKeyAt(key: string, out: Buffer, at: number): number {
  const n = key.length;
  out[at] = USER_KEY_PREFIX;
  if (n <= SHORT_KEY) {
    // Byte by byte: for a short key cheaper than write() and swap16() on a subarray (a Buffer
    // object more per write, which --fsync batch's bulk load paid for in young-generation GC).
    for (let i = 0, to = at + 1; i < n; i++, to += 2) {
      const unit = key.charCodeAt(i);
      out[to] = unit >>> 8;
      out[to + 1] = unit & 0xff;
    }
  } else {
    out.write(key, at + 1, "utf16le");
    out.subarray(at + 1, at + 1 + n * 2).swap16();
  }
  return at + 1 + n * 2;
}

/** Keys up to this many UTF-16 units are encoded by a loop, longer ones by the native calls. */
const SHORT_KEY = 64;

export function decodeKey(bytes: Uint8Array): string {
  if (bytes.length % 2 !== 1 || bytes[0] !== USER_KEY_PREFIX) {
    throw new RecordFormatError(`not a user key: ${bytes.length} bytes, prefix ${bytes[0]}`);
  }
  // Copy: swap16 works in place, and the engine may hand out a view of its own memory.
  return Buffer.from(bytes.subarray(1)).swap16().toString("utf16le");
}

/**
 * lmdb-js' largest key with the default page size. zkv keys reach 4 KiB of UTF-8, 8 KiB as UTF-16,
 * so a longer encoded key lives in the `long` table under its SHA-256 (longKey), with the key kept
 * in the value: [key bytes: uint32 BE][encoded key][record].
 */
export const MAX_DIRECT_KEY_BYTES = 1978;

/** The `long` table's key for an encoded key longer than MAX_DIRECT_KEY_BYTES. */
export function longKey(encoded: Buffer): Buffer {
  return createHash("sha256").update(encoded).digest();
}

/** The `long` table's value for an encoded key and its record. */
export function encodeLongEntry(encoded: Buffer, record: Buffer): Buffer {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(encoded.length, 0);
  return Buffer.concat([length, encoded, record]);
}

/** The key and the record a `long` table value holds. */
export function decodeLongEntry(value: Buffer): { key: string; record: Buffer } {
  const keyBytes = value.readUInt32BE(0);
  return { key: decodeKey(value.subarray(4, 4 + keyBytes)), record: value.subarray(4 + keyBytes) };
}
