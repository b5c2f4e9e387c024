import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../logger.js";
import { DurableStore } from "./durable-store.js";
import type { SyncPolicy } from "./sync-policy.js";

/** The policy when --data-dir is given without --fsync: Redis' default (everysec) in spirit. */
export const DEFAULT_SYNC_POLICY: SyncPolicy = "batch";

/** Node `nodeId`'s own dir in `dataDir`. */
export function nodeDir(dataDir: string, nodeId: string): string {
  return join(dataDir, nodeId);
}

/**
 * Opens node `nodeId`'s durable store in `<dataDir>/<nodeId>` and loads it. The same layout in
 * every mode, so one --data-dir holds a launcher's nodes side by side and a container's single
 * node alike, and a node restarted with the same id finds its data whoever starts it. Throws
 * DataDirError when the dir is unusable or another process holds it.
 */
export async function openNodeStore(
  dataDir: string,
  nodeId: string,
  options: { readonly fsync?: SyncPolicy | undefined; readonly snapshotEvery?: number | undefined },
  log: Logger,
): Promise<DurableStore> {
  const dir = nodeDir(dataDir, nodeId);
  const policy = options.fsync ?? DEFAULT_SYNC_POLICY;
  const started = performance.now();
  const store = await DurableStore.open({
    dir,
    fsync: policy,
    ...(options.snapshotEvery === undefined ? {} : { checkpointBytes: options.snapshotEvery }),
    onError: (err) =>
      log.error({ err, dir }, "writing the data dir failed; every write is answered INTERNAL from now on"),
  });
  const ms = Math.round(performance.now() - started);
  log.info({ dir, fsync: policy, keys: store.size, bytes: store.bytes, ms }, "data dir loaded");
  return store;
}

/**
 * Moves a removed node's dir aside (`<id>.removed-<time>`): everything in it was handed to the
 * remaining nodes before the placement named it removed, and a node added later under the same
 * id must start empty, never serve this stale copy (a deleted key would come back). Kept, not
 * deleted, so an operator who pointed a node at the wrong Consul loses nothing.
 */
export async function retireNodeDir(dataDir: string, nodeId: string, log: Logger): Promise<void> {
  const from = nodeDir(dataDir, nodeId);
  const to = `${from}.removed-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  try {
    await rename(from, to);
    log.info({ dir: to }, "removed from the cluster: data dir moved aside");
  } catch (err) {
    log.warn({ err: (err as Error).message, dir: from }, "could not move the data dir aside");
  }
}

/**
 * Keys held in each of these nodes' dirs (ids whose dir is absent or empty are left out): what a
 * reset of the cluster would orphan. Each store is opened, so a dir in use is refused
 * (DATA_DIR_LOCKED) rather than read behind its node's back.
 */
export async function keysHeld(dataDir: string, nodeIds: readonly string[]): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  for (const id of nodeIds) {
    if (!existsSync(nodeDir(dataDir, id))) continue;
    const store = await DurableStore.open({ dir: nodeDir(dataDir, id), fsync: "off", onError: () => {} });
    try {
      if (store.size > 0) held.set(id, store.size);
    } finally {
      await store.close();
    }
  }
  return held;
}
