import type { PutRequest, Reply } from "@zkv/protocol";
import type { Migration } from "../cluster/migration.js";
import type { ReplicaContext } from "../replication/replica-ops.js";
import {
  checkBudget,
  growthOf,
  makeRoom,
  type RoomContext,
  type Store,
  supersedes,
  type Versioned,
} from "../store/index.js";

/** A PUT with `version`: a copy restored from an export, which keeps the version it had. */
export type RestoreRequest = PutRequest & { readonly version: number };

/** True for a restore rather than a write that gets a new version. */
export function isRestore(request: PutRequest): request is RestoreRequest {
  return request.version !== undefined;
}

/**
 * A restore on a node that holds the only copy of the key: keeps the restored copy if it
 * supersedes the stored one (versions.ts), in one synchronous step, so no write can slip in
 * between the comparison and the store. Budget as for any PUT, but only when it would apply: an
 * old backup over newer data changes nothing and needs no room.
 */
export function restoreLocal(
  request: RestoreRequest,
  ctx: RoomContext & { readonly store: Store },
  migration: Migration | undefined,
): Reply {
  const { store } = ctx;
  const copy = restoredCopy(request);
  const held = store.copy(request.key);
  if (held !== undefined && !supersedes(copy, held)) return restoreReply(request, false, held.version);
  const growth = growthOf(store, request.key, request.value);
  makeRoom(ctx, growth);
  checkBudget(ctx, growth);
  const applied = store.apply(request.key, copy);
  if (applied) migration?.clearTombstone(request.key); // the restored value moves, not the deletion
  return restoreReply(request, applied, applied ? copy.version : (store.copy(request.key)?.version ?? 0));
}

/**
 * A restore on a replicated cluster, coordinated here (any replica may: every replica applies
 * the same rule and converges on the newest copy). Rejects like a write.
 */
export async function restoreReplicated(
  request: RestoreRequest,
  replication: ReplicaContext,
): Promise<Reply> {
  const { store, replicator } = replication;
  const copy = restoredCopy(request);
  if (supersedes(copy, store.copy(request.key))) {
    const budget = { store, maxBytes: replication.maxBytes, keepTombstones: true };
    const growth = growthOf(store, request.key, request.value);
    makeRoom(budget, growth);
    checkBudget(budget, growth);
  }
  const { applied, version } = await replicator.restore(request.key, copy, request.w);
  return restoreReply(request, applied, version);
}

function restoredCopy(request: RestoreRequest): Versioned {
  const { value, version, expiresAt } = request;
  return expiresAt === undefined ? { value, version } : { value, version, expiresAt };
}

function restoreReply(request: RestoreRequest, applied: boolean, version: number): Reply {
  return { ok: true, version, applied, ...(request.id === undefined ? {} : { id: request.id }) };
}
