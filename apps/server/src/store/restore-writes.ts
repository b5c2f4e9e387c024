import type { HintSet } from "./hint-set.js";
import type { MemoryStore } from "./memory-store.js";
import { visitPutRun } from "./put-run.js";
import {
  decodeKey,
  decodeLongEntry,
  decodeRecord,
  encodeKey,
  keyBytes,
  longKey,
  MAX_DIRECT_KEY_BYTES,
  RecordFormatError,
  RecordKind,
} from "./record.js";
import { visitSlabRun } from "./slab-runs.js";
import {
  DATA_TABLE,
  HINTS_TABLE,
  LONG_TABLE,
  type LoggedWrite,
  PUT_RUN_TABLE,
  SLAB_RUN_TABLE,
} from "./write-log-frames.js";

/**
 * Applies the writes an open reads back (a snapshot's, then the write-ahead log's past it) to the
 * memory half and the hints, in order, each as it was made: a value or a tombstone replaces
 * whatever the key had, a removal drops it. Versions come back as they were (the clock observes
 * them); an expired entry too, for reclaim.
 */
export class WriteRestorer {
  /** Keys of the `long` table by their row key (latin1), for a removal, which names only the row. */
  readonly #longKeys = new Map<string, string>();

  constructor(
    private readonly mem: MemoryStore,
    private readonly hints: HintSet,
  ) {}

  readonly apply = (write: LoggedWrite): void => {
    const { table, key, record } = write;
    // Copied: `key` may be a view of a whole log file's bytes, which a kept row would pin.
    if (table === HINTS_TABLE) this.hints.restore(Buffer.from(key), record);
    else if (table === DATA_TABLE) this.#restore(decodeKey(key), record);
    else if (table === SLAB_RUN_TABLE && record !== undefined) visitSlabRun(record, this.#put);
    else if (table === PUT_RUN_TABLE && record !== undefined) visitPutRun(record, this.#put);
    else if (table === LONG_TABLE) {
      const row = key.toString("latin1");
      if (record === undefined) {
        const long = this.#longKeys.get(row);
        if (long !== undefined) this.mem.drop(long);
        this.#longKeys.delete(row);
        return;
      }
      const entry = decodeLongEntry(record);
      this.#longKeys.set(row, entry.key);
      this.#restore(entry.key, entry.record);
    } else throw new RecordFormatError(`a write to table ${table}, which this node does not know`);
  };

  /**
   * An entry of a slab run or a put run: a value without expiry (those with one are laid as the
   * log lays them). A slab run holds long keys too, by themselves, so their `long` rows are
   * noted here: a later removal in the log names only the row.
   */
  readonly #put = (key: string, value: string, version: number): void => {
    this.mem.put(key, value, undefined, version);
    if (keyBytes(key) > MAX_DIRECT_KEY_BYTES)
      this.#longKeys.set(longKey(encodeKey(key)).toString("latin1"), key);
  };

  #restore(key: string, bytes: Buffer | undefined): void {
    if (bytes === undefined) {
      this.mem.drop(key);
      return;
    }
    const record = decodeRecord(bytes);
    if (record.kind === RecordKind.VALUE) this.mem.put(key, record.value, record.expiresAt, record.version);
    else {
      this.mem.drop(key);
      this.mem.apply(key, { value: undefined, version: record.version });
    }
  }
}
