import type { LmdbTables } from "./lmdb-tables.js";
import type { MemoryStore } from "./memory-store.js";
import { decodeRecord, RecordKind } from "./record.js";

/** Loads every entry of a data dir's `data` and `long` tables into memory, tombstones included. */
export function loadEntries(tables: LmdbTables, mem: MemoryStore): void {
  for (const { key, record } of tables.entries()) restore(mem, key, record);
}

/** Versions come back as they were (the clock observes them); an expired entry too, for reclaim. */
function restore(mem: MemoryStore, key: string, bytes: Buffer): void {
  const record = decodeRecord(bytes);
  if (record.kind === RecordKind.VALUE) mem.put(key, record.value, record.expiresAt, record.version);
  else mem.apply(key, { value: undefined, version: record.version });
}
