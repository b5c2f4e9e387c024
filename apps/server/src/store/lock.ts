/// <reference path="./fs-native-extensions.d.ts" />
// The reference makes the declaration travel with this file into every program that imports it.
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tryLock, unlock } from "fs-native-extensions";
import { DataDirError } from "./errors.js";

/** Name of the lock file inside a data dir. */
export const LOCK_FILE = "zkv.lock";

/**
 * An exclusive claim on a data dir: a kernel lock on the file `zkv.lock`, taken through a file
 * descriptor kept open while the store is. Two zkv nodes on one dir would each hold their own in-memory copy and overwrite each other's
 * writes, so the second is refused.
 *
 * The lock is an open file description lock (Linux `F_OFD_SETLK`, via fs-native-extensions): the
 * kernel drops it when the descriptor is closed, which a dying process does before it is even a
 * zombie. So a node started right after a SIGKILL always gets its dir, whatever the old pid now
 * belongs to, and no pid is ever judged alive or dead. Unlike a classic POSIX record lock, it
 * belongs to the descriptor, not the process: a second open of the file in this same process is
 * refused too, and closing some other descriptor of the file releases nothing.
 *
 * The file also holds the holder's pid, only so that a refusal can name it. The file is never
 * deleted: a process that opened it just before a delete would lock a file no one else sees.
 */
export class DataDirLock {
  #fd: number | undefined;

  private constructor(
    readonly dir: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /** Takes the lock, or throws DataDirError DATA_DIR_LOCKED naming the holder when it can. */
  static acquire(dir: string): DataDirLock {
    const path = join(dir, LOCK_FILE);
    let fd: number | undefined;
    try {
      // Read-write: the kernel grants an exclusive lock only on a descriptor open for writing.
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
      if (!tryLock(fd)) {
        closeSync(fd);
        fd = undefined;
        throw refusal(dir, path);
      }
      ftruncateSync(fd, 0);
      writeSync(fd, `${process.pid}\n`, 0);
      return new DataDirLock(dir, fd);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      if (err instanceof DataDirError) throw err;
      throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot lock ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Empties the pid and drops the lock (closing the descriptor would drop it too); idempotent. */
  release(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      ftruncateSync(fd, 0);
      unlock(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** DATA_DIR_LOCKED, naming the pid the holder wrote (unless it has not written it yet). */
function refusal(dir: string, path: string): DataDirError {
  const pid = readPid(path);
  const who = pid === undefined ? "another process" : pid === process.pid ? "this process" : `process ${pid}`;
  return new DataDirError("DATA_DIR_LOCKED", dir, `${dir} is in use by ${who}`, {
    ...(pid === undefined ? {} : { pid }),
  });
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
