import { join } from "node:path";
import { type Database, open, type RootDatabase } from "lmdb";
import type { LoggedWrite } from "./write-log-frames.js";

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
 * The LMDB environment of a data dir written by zkv's LMDB engine (before snapshots): read once,
 * by lmdb-migration.ts, which turns it into a snapshot.
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
 * The `data`, `long` and `hints` tables of one environment, opened on first use, and one way to
 * write them: an async put or remove (lmdb-js batches those of an event turn into one commit).
 */
export class LmdbTables {
  readonly #root: RootDatabase<Buffer, Buffer>;
  readonly #tables: Array<Database<Buffer, Buffer> | undefined> = [];

  constructor(root: RootDatabase<Buffer, Buffer>) {
    this.#root = root;
  }

  table(table: number): Database<Buffer, Buffer> {
    this.#tables[table] ??= openTable(this.#root, table);
    return this.#tables[table]!;
  }

  /** One put (record undefined: a removal); returns lmdb-js's promise of its commit. */
  write(table: number, key: Buffer, record: Buffer | undefined): Promise<boolean> {
    const db = this.table(table);
    return record === undefined ? db.remove(key) : db.put(key, record);
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
