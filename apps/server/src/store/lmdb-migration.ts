import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RootDatabase } from "lmdb";
import { DataDirError } from "./errors.js";
import { LmdbTables, openEnvironment, readLogMarks, replay } from "./lmdb-tables.js";
import { writeGeneration } from "./log-generation.js";
import { SNAPSHOT_FILE, SnapshotWriter } from "./snapshot-file.js";
import { WriteLog } from "./write-log.js";
import { DATA_TABLE, HINTS_TABLE, LONG_TABLE } from "./write-log-frames.js";
import { legacyWrites, removeLegacyLog } from "./write-log-replay.js";

/** The files of the LMDB engine, which zkv used before its snapshots. */
const LMDB_FILES = ["data.mdb", "data.mdb-lock"] as const;
/** The only record format the LMDB engine ever wrote. */
const LMDB_FORMAT = 1;

/** Whether `dir` holds the LMDB engine's files. */
export function holdsLmdb(dir: string): boolean {
  return existsSync(join(dir, LMDB_FILES[0]));
}

/**
 * Turns a data dir of the LMDB engine into a snapshot, once, as the first open of a newer node
 * finds it. LMDB first takes what its write-ahead log holds, as that engine's open did; then
 * every entry and hint goes into a snapshot covering the log's last flush, fsynced and in place
 * before LMDB's files are removed. Interrupted before that, the dir is as it was and the next open
 * starts over; after it, the next open only removes LMDB's files.
 */
export async function migrateLmdbDir(dir: string): Promise<void> {
  if (existsSync(join(dir, SNAPSHOT_FILE))) {
    removeLmdbFiles(dir);
    return;
  }
  const root = openEnvironment(dir, false);
  try {
    checkFormat(root, dir);
    const marks = readLogMarks(root);
    const generation = marks.generation + 1;
    const opened = WriteLog.open(dir, { applied: marks.applied, generation });
    opened.log.close();
    const applied = opened.log.flushed;
    await replay(root, [...legacyWrites(dir), ...opened.writes], { applied, generation });
    removeLegacyLog(dir);
    const tables = new LmdbTables(root);
    const writer = SnapshotWriter.create(dir, applied);
    try {
      for (const table of [DATA_TABLE, LONG_TABLE, HINTS_TABLE]) {
        for (const { key, value } of tables.table(table).getRange({})) {
          writer.buffer.append(table, key, value);
          writer.added();
        }
      }
      // Frames this dir's log holds are of generations up to this one: the next open's is above.
      writeGeneration(dir, generation);
      await writer.finish();
    } catch (err) {
      writer.abort();
      throw err;
    }
  } finally {
    await root.close();
  }
  removeLmdbFiles(dir);
}

function removeLmdbFiles(dir: string): void {
  for (const name of LMDB_FILES) rmSync(join(dir, name), { force: true });
}

/** Refuses a dir whose LMDB holds records of a format this node does not know. */
function checkFormat(root: RootDatabase<Buffer, Buffer>, dir: string): void {
  const meta = root.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
  const format = meta.get(Buffer.from("format"))?.[0];
  if (format !== undefined && format !== LMDB_FORMAT) {
    throw new DataDirError("DATA_DIR_UNUSABLE", dir, `record format ${format}, expected ${LMDB_FORMAT}`);
  }
}
