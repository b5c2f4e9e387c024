import { join } from "node:path";
import { type Database, open, type RootDatabase, TransactionFlags } from "lmdb";
import { decodeKey, decodeLongEntry } from "./record.js";
import {
  DATA_TABLE,
  LONG_TABLE,
  type LoggedBytes,
  type LoggedWrite,
  visitFrames,
} from "./write-log-frames.js";

/** The tables of a data dir's LMDB environment, in the order of the numbers a logged write names them by. */
const TABLE_NAMES = ["data", "long", "hints"] as const;

/**
 * In the `meta` table, where LMDB stands against the write-ahead log: the last flush number its
 * commits took in (written in the same transaction as those writes), and the count of opens
 * that used a log (each open's frames carry its own number: WriteLog).
 */
const APPLIED_KEY = Buffer.from("log-applied");
const GENERATION_KEY = Buffer.from("log-generation");

/** Where LMDB stands against the write-ahead log (see APPLIED_KEY). */
export interface LogMarks {
  readonly applied: number;
  readonly generation: number;
}

/**
 * A data dir's LMDB environment, opened the same way on every thread that uses it (the node's
 * and the commit worker's: lmdb-js shares one environment per path within a process).
 */
export function openEnvironment(dir: string, noSync: boolean): RootDatabase<Buffer, Buffer> {
  return open<Buffer, Buffer>({
    path: join(dir, "data.mdb"),
    keyEncoding: "binary",
    encoding: "binary",
    compression: false,
    separateFlushed: true,
    noSync,
  });
}

function openMeta(root: RootDatabase<Buffer, Buffer>): Database<Buffer, Buffer> {
  return root.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
}

const f64 = (n: number) => {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleLE(n);
  return b;
};

/** The marks LMDB holds (0 and 0 in a dir never written through a log). */
export function readLogMarks(root: RootDatabase<Buffer, Buffer>): LogMarks {
  const meta = openMeta(root);
  const read = (key: Buffer) => meta.get(key)?.readDoubleLE(0) ?? 0;
  return { applied: read(APPLIED_KEY), generation: read(GENERATION_KEY) };
}

/** A table's handle: binary keys and values (LMDB keeps their names in the root table). */
function openTable(root: RootDatabase<Buffer, Buffer>, table: number): Database<Buffer, Buffer> {
  return root.openDB<Buffer, Buffer>({
    name: TABLE_NAMES[table]!,
    keyEncoding: "binary",
    encoding: "binary",
  });
}

/**
 * Keys of drained log writes, for lmdb-js's documented custom key encoding: the key is copied
 * from the log's buffer into lmdb-js's own, with no Buffer made for it. Only ever written through.
 */
const LOGGED_KEYS = {
  writeKey(key: LoggedBytes, target: Uint8Array, start: number): number {
    const { bytes, keyEnd } = key;
    for (let i = key.keyStart; i < keyEnd; i++) target[start++] = bytes[i]!;
    return start;
  },
  readKey(source: Uint8Array, start: number, end: number): Buffer {
    return Buffer.from(source.subarray(start, end));
  },
};

/**
 * A log buffer as lmdb-js reads a value out of a larger buffer: from `start` to `end` (how it
 * writes msgpackr's shared buffers), so a record is handed over with no Buffer made for it. The
 * buffer's byteOffset is 0 (allocUnsafeSlow), which lmdb-js assumes of such a buffer.
 */
type Spanned = Buffer & { start?: number; end?: number };

/** A table handle opened with LOGGED_KEYS (lmdb-js' types know no key of this shape). */
interface LoggedTable {
  putSync(key: LoggedBytes, value: Buffer): boolean;
  removeSync(key: LoggedBytes): boolean;
}

/**
 * The `data`, `long` and `hints` tables of one environment (hints opened on first use, so a node
 * that never records one does not create the table), and the two ways a write reaches them:
 * write(), one async put or remove (lmdb-js batches those of an event turn into one commit), and
 * commitLogged(), a synchronous commit of frames of the write-ahead log, read where they lie.
 */
export class LmdbTables {
  readonly #root: RootDatabase<Buffer, Buffer>;
  readonly #tables: Array<Database<Buffer, Buffer> | undefined>;
  /** The same tables, with LOGGED_KEYS: what commitLogged() writes through. */
  readonly #logged: Array<LoggedTable | undefined> = [];
  readonly #meta: Database<Buffer, Buffer>;
  /** The applied mark's bytes, rewritten for each commit (LMDB copies them). */
  readonly #applied = Buffer.alloc(8);
  /** Where commitLogged() stands in its frames: one object, moved from write to write. */
  readonly #cursor: LoggedBytes = {
    bytes: this.#applied,
    table: 0,
    keyStart: 0,
    keyEnd: 0,
    recordStart: 0,
    recordEnd: 0,
  };

  constructor(root: RootDatabase<Buffer, Buffer>) {
    this.#root = root;
    this.#meta = openMeta(root);
    this.#tables = [openTable(root, DATA_TABLE), openTable(root, LONG_TABLE), undefined];
  }

  table(table: number): Database<Buffer, Buffer> {
    this.#tables[table] ??= openTable(this.#root, table);
    return this.#tables[table]!;
  }

  /** Every entry the `data` and `long` tables hold, its key decoded and its record as stored: what a store loads. */
  *entries(): Iterable<{ key: string; record: Buffer }> {
    for (const { key, value } of this.table(DATA_TABLE).getRange({}))
      yield { key: decodeKey(key), record: value };
    for (const { value } of this.table(LONG_TABLE).getRange({})) yield decodeLongEntry(value);
  }

  /** One put (record undefined: a removal); returns lmdb-js's promise of its commit. */
  write(table: number, key: Buffer, record: Buffer | undefined): Promise<boolean> {
    const db = this.table(table);
    return record === undefined ? db.remove(key) : db.put(key, record);
  }

  /** fsyncs everything committed so far: lmdb-js's env sync (absent from its type declarations). */
  syncDisk(): Promise<void> {
    const root = this.#root as unknown as { sync(done: (err?: unknown) => void): void };
    return new Promise((resolve, reject) => root.sync((err) => (err ? reject(err) : resolve())));
  }

  /**
   * Commits every write of `frames` (whole frames of the write-ahead log) and `applied` (the
   * log's last flush among them) in one transaction, before returning. The flag says the commit
   * may return before its fsync, yet under lmdb-js's overlappingSync (on by default on Linux) a
   * commit made on this thread still fsyncs here before returning: measured with perf and read
   * in its mdb_txn_commit (lmdb 3.5.6). Run on the commit worker's thread (lmdb-commit-worker.ts).
   */
  commitLogged(frames: Buffer, applied: number): void {
    this.#root.transactionSync(() => {
      visitFrames(frames, 0, frames.length, this.#cursor, this.#applyLogged);
      this.#applied.writeDoubleLE(applied);
      this.#meta.putSync(APPLIED_KEY, this.#applied);
    }, TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH);
  }

  readonly #applyLogged = (write: LoggedBytes): void => {
    const db = this.#logged[write.table] ?? this.#openLogged(write.table);
    if (write.recordStart < 0) {
      db.removeSync(write);
      return;
    }
    const value: Spanned = write.bytes;
    value.start = write.recordStart;
    value.end = write.recordEnd;
    db.putSync(write, value);
  };

  #openLogged(table: number): LoggedTable {
    const db = this.#root.openDB({
      name: TABLE_NAMES[table]!,
      keyEncoder: LOGGED_KEYS,
      encoding: "binary",
    } as never) as unknown as LoggedTable;
    this.#logged[table] = db;
    return db;
  }
}

/**
 * Applies a write-ahead log's writes to LMDB in one transaction, with the log's new marks, and
 * waits for it to be fsynced, so the log's files can be reused: the writes are the suffix of
 * LMDB's own writes that it may have lost, in order, so replaying all of them, even those it
 * has, ends in the state the writes left.
 */
export async function replay(
  root: RootDatabase<Buffer, Buffer>,
  writes: readonly LoggedWrite[],
  marks: LogMarks,
): Promise<void> {
  const tables = TABLE_NAMES.map((_, table) => openTable(root, table));
  const meta = openMeta(root);
  await root.transaction(() => {
    for (const { table, key, record } of writes) {
      const db = tables[table]!;
      if (record === undefined) db.removeSync(key);
      else db.putSync(key, record);
    }
    meta.putSync(APPLIED_KEY, f64(marks.applied));
    meta.putSync(GENERATION_KEY, f64(marks.generation));
  });
  await root.flushed;
}
