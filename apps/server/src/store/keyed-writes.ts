import {
  encodeKey,
  encodeLongEntry,
  encodeValue,
  keyBytes,
  longKey,
  MAX_DIRECT_KEY_BYTES,
} from "./record.js";
import { DATA_TABLE, LONG_TABLE } from "./write-log-frames.js";

/** Where a DurableStore's writes are laid: its write-ahead log (LogWriter) or a snapshot (its LogBuffer). */
export interface WriteSink {
  append(table: number, key: Buffer, record: Buffer | undefined): void;
  appendValue(key: string, value: string, version: number, expiresAt: number | undefined): void;
}

/**
 * A value under its key: laid straight into the sink when the key fits the `data` table (no
 * Buffer of its own), else as a record under the `long` table (appendRecord).
 */
export function appendEntry(
  to: WriteSink,
  key: string,
  value: string,
  version: number,
  expiresAt: number | undefined,
): void {
  if (keyBytes(key) <= MAX_DIRECT_KEY_BYTES) to.appendValue(key, value, version, expiresAt);
  else appendRecord(to, key, encodeValue(value, version, expiresAt));
}

/**
 * A record (undefined: a removal) under its key: in the `data` table, or, for a key whose
 * encoding is too long for it, in the `long` table under its SHA-256 with the key kept in the row.
 */
export function appendRecord(to: WriteSink, key: string, record: Buffer | undefined): void {
  const k = encodeKey(key);
  if (k.length <= MAX_DIRECT_KEY_BYTES) to.append(DATA_TABLE, k, record);
  else to.append(LONG_TABLE, longKey(k), record === undefined ? undefined : encodeLongEntry(k, record));
}
