import { access, open } from "node:fs/promises";
import { join } from "node:path";

/**
 * The file in a node's data dir (`<data-dir>/<node-id>`) that says the node once held every copy
 * it should: written when it first serves (after bootstrapping), never removed. A dir without it
 * is new, a replacement disk, or one whose node never finished copying: the node bootstraps
 * again. It lives beside the data, so whatever loses the data loses the marker with it.
 */
export const COMPLETE_MARKER = "replicas-complete";

/** True when `dir` carries the marker. */
export async function hasCompleteMarker(dir: string): Promise<boolean> {
  try {
    await access(join(dir, COMPLETE_MARKER));
    return true;
  } catch {
    return false;
  }
}

/** Writes the marker into `dir` and fsyncs it: a crash right after must not make it vanish. */
export async function writeCompleteMarker(dir: string): Promise<void> {
  const file = await open(join(dir, COMPLETE_MARKER), "w");
  try {
    await file.writeFile(`${new Date().toISOString()}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}
