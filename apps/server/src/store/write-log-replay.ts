import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  copyWrite,
  currentFrames,
  LEGACY_FRAME_START,
  type LoggedWrite,
  parseFrames,
  scanFrames,
  visitWrites,
} from "./write-log-frames.js";

/** The legacy log's files (appended to, and truncated once applied), read once and removed. */
const LEGACY_FILES = ["batch-0.log", "batch-1.log"] as const;

/**
 * What a log's files (their bytes) hold past a snapshot: the writes of each file's current
 * frames numbered past `applied` (the last flush the snapshot covers, recorded with it), oldest
 * first, up to the first number missing (an OS crash may lose a flush that was not fsynced: what
 * follows it is dropped, so a replay is always a prefix, in order). `visit` sees them one by one,
 * as views of the files' bytes, so a log of gigabytes is replayed without an object per write
 * kept; without it they are copied into `writes`. `last`: the highest flush number found,
 * applied or not (the next flush is numbered past it).
 */
export function unappliedWrites(
  files: readonly Buffer[],
  applied: number,
  visit?: (write: LoggedWrite) => void,
): { writes: LoggedWrite[]; last: number } {
  const frames = files.flatMap((bytes, file) =>
    currentFrames(scanFrames(bytes)).map((frame) => ({ ...frame, file })),
  );
  frames.sort((a, b) => a.flush - b.flush);
  const writes: LoggedWrite[] = [];
  const take = visit ?? ((write: LoggedWrite) => writes.push(copyWrite(write)));
  let next = applied + 1;
  for (const frame of frames) {
    if (frame.flush < next) continue;
    if (frame.flush > next) break;
    visitWrites(files[frame.file]!, frame.from, frame.end, take);
    next++;
  }
  const last = frames.length === 0 ? applied : Math.max(applied, frames[frames.length - 1]!.flush);
  return { writes, last };
}

/**
 * The writes a legacy log in `dir` holds, oldest first (each file's frames up to a torn one; a
 * flush went whole to one file). Its files were emptied once applied: everything is replayed.
 */
export function legacyWrites(dir: string): LoggedWrite[] {
  const frames = LEGACY_FILES.map((name) => join(dir, name))
    .filter((path) => existsSync(path))
    .flatMap((path) => parseFrames(readFileSync(path), LEGACY_FRAME_START));
  frames.sort((a, b) => a.flush - b.flush); // stable: a flush's writes stay in their order
  return frames.flatMap((f) => f.writes);
}

/** Removes a legacy log, once what it held is in LMDB and fsynced (lmdb-migration.ts). */
export function removeLegacyLog(dir: string): void {
  for (const name of LEGACY_FILES) rmSync(join(dir, name), { force: true });
}
