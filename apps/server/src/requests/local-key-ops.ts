import {
  type DeleteRequest,
  type GetOneRequest,
  isConditional,
  keyNotFound,
  type PutRequest,
  type Reply,
  toErrorReply,
} from "@zkv/protocol";
import type { Migration } from "../cluster/migration.js";
import {
  checkBudget,
  checkCondition,
  expiryOf,
  growthOf,
  makeRoom,
  type RoomContext,
  type Store,
} from "../store/index.js";
import { isRestore, restoreLocal } from "./restore.js";

/**
 * PUT, GET_ONE and DELETE on a node that holds the only copy of the key (no replication): the
 * node decides everything itself, synchronously, so a conditional write's check and its write
 * happen in one turn with nothing in between. `migration` is set while the key waits to move
 * away, whose deletion must then move too (a tombstone). Throws ZkvError (CONFLICT,
 * OUT_OF_MEMORY), which the caller turns into the error reply. A PUT with `version` is a restore
 * (restore.ts).
 */
export function localKeyOp(
  request: PutRequest | GetOneRequest | DeleteRequest,
  ctx: RoomContext & { readonly store: Store },
  migration: Migration | undefined,
): Reply {
  const { store } = ctx;
  const id = request.id === undefined ? {} : { id: request.id };
  switch (request.op) {
    case "PUT": {
      if (isRestore(request)) return restoreLocal(request, ctx, migration);
      const conditional = isConditional(request);
      if (conditional) checkCondition(request, store.entry(request.key));
      const expiresAt = expiryOf(request, store.now());
      const version = applyPut(ctx, request.key, request.value, expiresAt, migration);
      return conditional || request.withVersion ? { ok: true, version, ...id } : { ok: true, ...id };
    }
    case "GET_ONE":
      return getOne(request, store);
    case "DELETE":
      return { ok: true, deleted: applyDelete(store, request.key, migration), ...id };
  }
}

/**
 * A PUT's write once its condition (if any) held: the memory budget (reclaiming expired entries
 * first when full; OUT_OF_MEMORY when still full), a leaving key's tombstone, the store. Returns
 * the version. Shared by single PUTs and BATCH columns, so both write alike.
 */
export function applyPut(
  ctx: RoomContext & { readonly store: Store },
  key: string,
  value: string,
  expiresAt: number | undefined,
  migration: Migration | undefined,
): number {
  // Without a budget there is nothing to check (growthOf reads the old copy only for it).
  if (ctx.maxBytes !== undefined) {
    const growth = growthOf(ctx.store, key, value);
    makeRoom(ctx, growth);
    checkBudget(ctx, growth);
  }
  migration?.clearTombstone(key);
  return ctx.store.put(key, value, expiresAt);
}

/** A DELETE's write: whether a live value existed; a leaving key's deletion leaves a tombstone. */
export function applyDelete(store: Store, key: string, migration: Migration | undefined): boolean {
  const deleted = store.delete(key);
  migration?.tombstone(key);
  return deleted;
}

function getOne(request: GetOneRequest, store: Store): Reply {
  const id = request.id === undefined ? {} : { id: request.id };
  if (request.withVersion) {
    const entry = store.entry(request.key);
    if (entry !== undefined) return { key: request.key, ...entry, ...id };
  } else {
    const value = store.get(request.key);
    if (value !== undefined) return { key: request.key, value, ...id };
  }
  return toErrorReply(notFound(request.key), request.id);
}

/** NOT_FOUND for `key` (absent, deleted or expired). */
export const notFound = keyNotFound;
