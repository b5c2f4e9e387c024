import { closeSync, constants, fsyncSync, openSync } from "node:fs";

/** fsyncs a dir, so the names created or renamed in it survive a power loss. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
