import {
  type DeleteRequest,
  ErrorCode,
  type GetOneRequest,
  isConditional,
  type PutRequest,
  type Reply,
  toErrorReply,
  ZkvError,
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
      const growth = growthOf(store, request.key, request.value);
      makeRoom(ctx, growth);
      checkBudget(ctx, growth);
      migration?.clearTombstone(request.key);
      const version = store.put(request.key, request.value, expiryOf(request, store.now()));
      return conditional || request.withVersion ? { ok: true, version, ...id } : { ok: true, ...id };
    }
    case "GET_ONE":
      return getOne(request, store);
    case "DELETE": {
      const deleted = store.delete(request.key);
      migration?.tombstone(request.key);
      return { ok: true, deleted, ...id };
    }
  }
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
export function notFound(key: string): ZkvError {
  return new ZkvError(ErrorCode.NOT_FOUND, `key not found: ${JSON.stringify(key)}`);
}
