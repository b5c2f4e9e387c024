import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataDirError } from "./errors.js";

/** Name of the lock file inside a data dir. */
export const LOCK_FILE = "zkv.lock";

/** Dirs locked by this process: a second store on one dir in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * An exclusive claim on a data dir: the file `zkv.lock` holding the owner's pid, created with
 * O_EXCL. LMDB itself lets many processes share an environment, but two zkv nodes on one dir would
 * each hold their own in-memory copy and overwrite each other's writes, so the second is refused.
 * A lock left by a process that died (SIGKILL, power loss) is taken over: its pid is no longer
 * alive, or it is our own pid reused by a restarted container's pid namespace.
 */
export class DataDirLock {
  #released = false;

  private constructor(readonly dir: string) {}

  /** Takes the lock, or throws DataDirError DATA_DIR_LOCKED naming the live holder. */
  static acquire(dir: string): DataDirLock {
    if (heldHere.has(dir)) {
      throw new DataDirError("DATA_DIR_LOCKED", dir, `${dir} is in use by this process`, {
        pid: process.pid,
      });
    }
    const path = join(dir, LOCK_FILE);
    // The pid is written to a file of our own and linked into place: link() creates the lock
    // atomically with its content, so no one ever reads a half-written lock and calls it stale.
    const mine = join(dir, `${LOCK_FILE}.${process.pid}`);
    try {
      writeFileSync(mine, `${process.pid}\n`);
    } catch (err) {
      throw new DataDirError("DATA_DIR_UNUSABLE", dir, `cannot write in ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          linkSync(mine, path);
          heldHere.add(dir);
          return new DataDirLock(dir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
            throw new DataDirError(
              "DATA_DIR_UNUSABLE",
              dir,
              `cannot lock ${dir}: ${(err as Error).message}`,
              {
                cause: err,
              },
            );
          }
        }
        const holder = readPid(path);
        if (holder !== undefined && isLive(holder)) {
          throw new DataDirError("DATA_DIR_LOCKED", dir, `${dir} is in use by process ${holder}`, {
            pid: holder,
          });
        }
        rmSync(path, { force: true }); // stale: its owner is gone
      }
      throw new DataDirError("DATA_DIR_LOCKED", dir, `${dir}: lost a race for its lock`);
    } finally {
      rmSync(mine, { force: true });
    }
  }

  /** Removes the lock file; idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.dir);
    rmSync(join(this.dir, LOCK_FILE), { force: true });
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // vanished meanwhile, or garbage: treat as stale
  }
}

/** Alive and not us (our own pid in the file is a previous incarnation unless we hold it here). */
function isLive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}
