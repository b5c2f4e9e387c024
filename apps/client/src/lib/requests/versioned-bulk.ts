import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import type { VersionedValue } from "./put-options.js";
import { runBulk } from "./run-bulk.js";

/** A key's copy with its version: what an export holds and a restore writes back. */
export interface VersionedEntry extends VersionedValue {
  readonly key: string;
}

/** What restoring entries did: how many were newer than the cluster's copy and stored, how many not. */
export interface RestoreCounts {
  /** Stored: newer than the copy the key had, or the key had none. */
  readonly applied: number;
  /** Left alone: the key's copy was as new or newer (a later write, or a kept deletion). */
  readonly kept: number;
}

/**
 * Reads many keys with their versions (GET_ONE withVersion, in bulk; with replication a quorum
 * read, so the newest copy), in the order given; undefined for a key that does not exist.
 */
export async function readVersions(
  cluster: ClusterView,
  keys: readonly string[],
  extra: { r?: number },
  window: number,
): Promise<Array<VersionedValue | undefined>> {
  const found = new Array<VersionedValue | undefined>(keys.length);
  const index = new Map<KeyOp, number>();
  let unversioned: string | undefined;
  const ops = (function* () {
    for (let i = 0; i < keys.length; i++) {
      const op = { op: "GET_ONE" as const, key: keys[i]!, withVersion: true, ...extra };
      index.set(op, i);
      yield op;
    }
  })();
  await runBulk(cluster, ops, window, (op, result) => {
    if (result === undefined) return;
    const { value, version, expiresAt } = result as VersionedValue & { version?: number };
    if (version === undefined) unversioned ??= op.key;
    else found[index.get(op)!] = expiresAt === undefined ? { value, version } : { value, version, expiresAt };
  });
  if (unversioned !== undefined) {
    throw new ZkvError(ErrorCode.INTERNAL, `the node sent no version for ${JSON.stringify(unversioned)}`);
  }
  return found;
}

/**
 * Restores entries (PUT with `version`, in bulk): each is kept only where it is newer than the
 * key's copy, decided by the node in one step. Rejects, once all have settled, if a node answered
 * without saying whether it applied one: a node that predates restores, which wrote it as a
 * plain PUT.
 */
export async function restoreEntries(
  cluster: ClusterView,
  entries: Iterable<VersionedEntry>,
  extra: { w?: number },
  onProgress: ((done: number) => void) | undefined,
  window: number,
): Promise<RestoreCounts> {
  let applied = 0;
  let kept = 0;
  let unconfirmed: string | undefined;
  const ops = (function* () {
    for (const { key, value, version, expiresAt } of entries) {
      yield {
        op: "PUT" as const,
        key,
        value,
        version,
        ...(expiresAt === undefined ? {} : { expiresAt }),
        ...extra,
      };
    }
  })();
  await runBulk(
    cluster,
    ops,
    window,
    (op, result) => {
      const outcome = (result as { applied?: boolean } | undefined)?.applied;
      if (outcome === true) applied++;
      else if (outcome === false) kept++;
      else unconfirmed ??= op.key;
    },
    onProgress,
  );
  if (unconfirmed !== undefined) {
    throw new ZkvError(
      ErrorCode.INTERNAL,
      `a node did not say whether it restored ${JSON.stringify(unconfirmed)}: it predates restores (upgrade it)`,
    );
  }
  return { applied, kept };
}
