import { mkdirSync } from "node:fs";
import type { RootDatabase } from "lmdb";
import { DataDirError } from "./errors.js";
import { openEnvironment, readLogMarks, replay } from "./lmdb-tables.js";
import { DataDirLock } from "./lock.js";
import type { SyncPolicy } from "./sync-policy.js";
import { WriteLog } from "./write-log.js";
import { legacyWrites, removeLegacyLog } from "./write-log-replay.js";

/** The format of the records in a data dir; a dir written in another format is refused. */
const FORMAT = 1;
const FORMAT_KEY = Buffer.from("format");

/** A data dir's engine, open: its lock, its LMDB environment and, under `batch` and `always`, its write-ahead log. */
export interface DataDirEngine {
  readonly lock: DataDirLock;
  readonly root: RootDatabase<Buffer, Buffer>;
  readonly log: WriteLog | undefined;
}

/**
 * Creates `dir` when missing, locks it, opens LMDB in it (replaying what the write-ahead log
 * holds first), checks the record format, and hands all that to `use` (a store built on it and
 * loaded). Anything failing on the way releases what was taken and throws DataDirError.
 */
export async function openDataDir<T>(
  dir: string,
  fsync: SyncPolicy,
  use: (engine: DataDirEngine) => T,
): Promise<T> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot create ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const lock = DataDirLock.acquire(dir);
  let root: RootDatabase<Buffer, Buffer> | undefined;
  let log: WriteLog | undefined;
  try {
    root = openEnvironment(dir, fsync === "off");
    // The log holds what LMDB may not have yet: replayed (and made durable) first, with a new
    // generation for this open's frames. It is opened under every policy, so a dir last used
    // with a log gives it back under any policy; a legacy log (batch-*.log) too, once.
    const marks = readLogMarks(root);
    const generation = marks.generation + 1;
    const opened = WriteLog.open(dir, {
      applied: marks.applied,
      generation,
      preallocate: fsync === "always",
    });
    log = opened.log;
    await replay(root, [...legacyWrites(dir), ...opened.writes], { applied: log.flushed, generation });
    removeLegacyLog(dir);
    if (fsync === "off") {
      log.close();
      log = undefined;
    }
    await checkFormat(root, dir);
    return use({ lock, root, log });
  } catch (err) {
    log?.close();
    await root?.close().catch(() => {});
    lock.release();
    if (err instanceof DataDirError) throw err;
    throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot open ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Marks a new dir with FORMAT; refuses a dir marked with another. */
async function checkFormat(root: RootDatabase<Buffer, Buffer>, dir: string): Promise<void> {
  const meta = root.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
  const format = meta.get(FORMAT_KEY)?.[0];
  if (format === undefined) await meta.put(FORMAT_KEY, Buffer.from([FORMAT]));
  else if (format !== FORMAT) {
    throw new DataDirError("DATA_DIR_UNUSABLE", dir, `record format ${format}, expected ${FORMAT}`);
  }
}
