/** A node's storage: the Store interface, its in-memory and durable engines, and their errors. */
export { DurableStore, type DurableStoreOptions, SYNC_POLICIES, type SyncPolicy } from "./durable-store.js";
export { DataDirError, type DataDirErrorCode } from "./errors.js";
export { LOCK_FILE } from "./lock.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { Reclaimer, type ReclaimerOptions } from "./reclaimer.js";
export {
  decodeKey,
  decodeRecord,
  encodeKey,
  encodeTombstone,
  encodeValue,
  RECORD_HEADER_BYTES,
  RecordFormatError,
  RecordKind,
  type StoredRecord,
} from "./record.js";
export type { Entry, Reclaimed, Store, StoredEntry } from "./store.js";
