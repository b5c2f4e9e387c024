import { join } from "node:path";
import type { Logger } from "./logger.js";
import { DurableStore, type SyncPolicy } from "./store/index.js";

/** The policy when --data-dir is given without --fsync: Redis' default (everysec) in spirit. */
export const DEFAULT_SYNC_POLICY: SyncPolicy = "batch";

/**
 * Opens node `nodeId`'s durable store in `<dataDir>/<nodeId>` and loads it. The same layout in
 * every mode, so one --data-dir holds a launcher's nodes side by side and a container's single
 * node alike, and a node restarted with the same id finds its data whoever starts it. Throws
 * DataDirError when the dir is unusable or another process holds it.
 */
export async function openNodeStore(
  dataDir: string,
  nodeId: string,
  fsync: SyncPolicy | undefined,
  log: Logger,
): Promise<DurableStore> {
  const dir = join(dataDir, nodeId);
  const policy = fsync ?? DEFAULT_SYNC_POLICY;
  const started = performance.now();
  const store = await DurableStore.open({
    dir,
    fsync: policy,
    onError: (err) => log.error({ err, dir }, "commit failed; every write is answered INTERNAL from now on"),
  });
  const ms = Math.round(performance.now() - started);
  log.info({ dir, fsync: policy, keys: store.size, bytes: store.bytes, ms }, "data dir loaded");
  return store;
}
