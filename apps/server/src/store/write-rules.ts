import { ErrorCode, type PutRequest, ZkvError } from "@zkv/protocol";
import type { Store } from "./store.js";

/** Expired entries reclaimed at once when a write finds the budget full, before refusing it. */
const RECLAIM_WHEN_FULL = 1000;

/** What the memory budget is checked against. */
export interface BudgetContext {
  readonly store: Pick<Store, "bytes">;
  /** The node's budget for `store.bytes` (`--max-memory`); undefined: unlimited. */
  readonly maxBytes?: number | undefined;
}

/** Where a write makes room for itself: the store it applies to, and what a reclaim leaves behind. */
export interface RoomContext extends BudgetContext {
  readonly store: Pick<Store, "bytes" | "reclaim">;
  /** Replicated: reclaimed keys leave tombstones (see Store.reclaim). */
  readonly keepTombstones?: boolean;
}

/**
 * When a PUT's value expires, as an absolute time (ms since the epoch), from `ttl` (seconds from
 * `now`) or `expiresAt`; undefined: never. Absolute, so it means the same on every replica and on
 * a new owner after a move, and survives a restart unchanged.
 */
export function expiryOf(request: PutRequest, now: number): number | undefined {
  if (request.expiresAt !== undefined) return request.expiresAt;
  // Whole milliseconds (0.007 s is 7 ms, not the 7.000000000000001 of float arithmetic), at least 1.
  if (request.ttl !== undefined) return Math.floor(now) + Math.max(1, Math.round(request.ttl * 1000));
  return undefined;
}

/**
 * Throws CONFLICT when the PUT's condition does not hold for `current`, the key's live entry
 * (undefined: absent or expired). The message says why: the key exists, at which version, or not.
 */
export function checkCondition(request: PutRequest, current: { readonly version: number } | undefined): void {
  const shown = JSON.stringify(request.key).slice(0, 80);
  if (request.ifAbsent === true && current !== undefined) {
    throw new ZkvError(
      ErrorCode.CONFLICT,
      `key ${shown} exists (version ${current.version}); nothing written`,
    );
  }
  if (request.ifVersion === undefined || current?.version === request.ifVersion) return;
  throw new ZkvError(
    ErrorCode.CONFLICT,
    current === undefined
      ? `key ${shown} does not exist (expected version ${request.ifVersion}); nothing written`
      : `key ${shown} is at version ${current.version}, not ${request.ifVersion}; nothing written`,
  );
}

/** Bytes `store.bytes` would grow by if `key` were set to `value` (negative when it shrinks). */
export function growthOf(store: Pick<Store, "copy">, key: string, value: string): number {
  const old = store.copy(key)?.value;
  return Buffer.byteLength(value) - (old === undefined ? -Buffer.byteLength(key) : Buffer.byteLength(old));
}

/**
 * Throws OUT_OF_MEMORY when growing the store by `bytes` would pass the budget; changes nothing.
 * A write that does not grow the data (a delete, a shrinking overwrite) always passes, so a full
 * node can always be emptied. Expired entries count until reclaimed: call makeRoom first.
 */
export function checkBudget(ctx: BudgetContext, bytes: number): void {
  if (fits(ctx, bytes)) return;
  throw new ZkvError(
    ErrorCode.OUT_OF_MEMORY,
    `memory budget of ${ctx.maxBytes} bytes reached (${ctx.store.bytes} used, the write needs ${bytes} more); nothing written`,
  );
}

/**
 * Called where a write is applied, just before its checkBudget: when `bytes` more would not fit,
 * reclaims a slice of expired entries (they still count until reclaimed), so a store full of
 * expired data takes the write rather than refusing it.
 */
export function makeRoom(ctx: RoomContext, bytes: number): void {
  if (!fits(ctx, bytes)) ctx.store.reclaim(RECLAIM_WHEN_FULL, ctx.keepTombstones ?? false);
}

function fits(ctx: BudgetContext, bytes: number): boolean {
  return ctx.maxBytes === undefined || bytes <= 0 || ctx.store.bytes + bytes <= ctx.maxBytes;
}
