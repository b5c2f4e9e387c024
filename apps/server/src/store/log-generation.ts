import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { syncDir } from "./sync-dir.js";

/** The count of opens of a data dir: each open's log frames carry its own (see WriteLog). */
const GENERATION_FILE = "log-generation";

/** The last open's generation (0 for a dir never opened with this file). */
export function readGeneration(dir: string): number {
  const path = join(dir, GENERATION_FILE);
  if (!existsSync(path)) return 0;
  const bytes = readFileSync(path);
  return bytes.length === 8 ? bytes.readDoubleLE(0) : 0;
}

/**
 * Records `generation` durably before any frame of it is written: written whole to a file of
 * its own, fsynced, renamed into place, the dir fsynced. Were it lost, a later open could take
 * a generation again and replay frames left from an earlier use of a log file as its own.
 */
export function writeGeneration(dir: string, generation: number): void {
  const path = join(dir, GENERATION_FILE);
  const writing = `${path}.writing`;
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(generation, 0);
  const fd = openSync(writing, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    writeSync(fd, bytes, 0, 8, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(writing, path);
  syncDir(dir);
}
