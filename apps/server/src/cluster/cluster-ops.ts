import {
  ErrorCode,
  type ImportRequest,
  type Limits,
  type MigrateCommitRequest,
  type MigrateFetchRequest,
  type MigrationRequest,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import { checkBudget, growthOf, makeRoom, type Store } from "../store/index.js";
import { type ClusterView, placementOf } from "./ownership.js";

/** Told of the entries a rebalance moves: a node's metrics. */
export interface MoveObserver {
  /** Entries an IMPORT applied here. */
  movedIn(count: number): void;
  /** Entries a MIGRATE_COMMIT removed here. */
  movedOut(count: number): void;
}

/** What the rebalancing ops act on. */
export interface ClusterOpsContext {
  readonly nodeId: string;
  readonly store: Store;
  readonly limits: Limits;
  readonly cluster: ClusterView;
  /** Counts keys moved in (IMPORT) and out (MIGRATE_COMMIT). */
  readonly metrics?: MoveObserver;
  /** The node's memory budget, which an IMPORT must fit in as a whole. */
  readonly maxBytes?: number;
  /** Replicated: entries reclaimed to make room leave tombstones. */
  readonly keepTombstones?: boolean;
}

/** Most entries one sweep returns when the request names no limit. */
const DEFAULT_SWEEP_LIMIT = 1000;

/** MIGRATION: learn of a placement change from the rebalancer (begin) or its completion (end). */
export function migration(request: MigrationRequest, ctx: ClusterOpsContext): Reply {
  const next = placementOf(request.placement);
  if (request.phase === "end") {
    ctx.cluster.setPlacement(request.epoch, next);
  } else {
    const current = request.current ? placementOf(request.current) : ctx.cluster.placement;
    if (current === undefined) {
      throw new ZkvError(ErrorCode.INVALID_REQUEST, "MIGRATION begin needs the current placement", {
        field: "current",
      });
    }
    if (!ctx.cluster.beginMigration(request.run, request.epoch, current, next)) {
      throw new ZkvError(
        ErrorCode.INVALID_REQUEST,
        `epoch ${request.epoch} is older than ${ctx.cluster.epoch}`,
        {
          field: "epoch",
        },
      );
    }
  }
  return { ok: true, node: ctx.nodeId };
}

function activeMigration(ctx: ClusterOpsContext, run: string) {
  const m = ctx.cluster.migration;
  if (m === undefined)
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "no migration in progress", { field: "run" });
  if (m.run !== run) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, `run ${run} was taken over by run ${m.run}`, {
      field: "run",
    });
  }
  return m;
}

/** MIGRATE_FETCH: entries to move, fenced until committed. */
export function migrateFetch(request: MigrateFetchRequest, ctx: ClusterOpsContext): Reply {
  const m = activeMigration(ctx, request.run);
  // A quarter of a message: entry sizes are estimated from string lengths, escaping aside.
  const budget = Math.floor(ctx.limits.maxMessageBytes / 4);
  if (request.sweep) {
    const entries = m.sweep(ctx.store, request.limit ?? DEFAULT_SWEEP_LIMIT, budget);
    return { entries, fetched: entries.length };
  }
  return m.fetch(ctx.store, request.keys ?? [], budget);
}

/** MIGRATE_COMMIT: the new owner has these; delete them here. */
export function migrateCommit(request: MigrateCommitRequest, ctx: ClusterOpsContext): Reply {
  const m = activeMigration(ctx, request.run);
  const count = m.commit(ctx.store, request.keys);
  ctx.metrics?.movedOut(count);
  return { ok: true, count };
}

/**
 * IMPORT: store moved values and apply moved deletions on their new owner. Only for the run in
 * progress: a late IMPORT from a run that was taken over could otherwise overwrite a newer value
 * that the new run already moved.
 */
export function importEntries(request: ImportRequest, ctx: ClusterOpsContext): Reply {
  activeMigration(ctx, request.run);
  // All or nothing against the memory budget: a refused IMPORT fails the rebalance, which then
  // deletes nothing on the old owner (its MIGRATE_COMMIT never comes), so no data is lost.
  let growth = 0;
  for (const e of request.entries) if ("value" in e) growth += growthOf(ctx.store, e.key, e.value);
  makeRoom(ctx, growth);
  checkBudget(ctx, growth);
  for (const entry of request.entries) {
    // A moved value keeps its version and expiry: a CAS or a TTL means the same on the new owner.
    if ("value" in entry) ctx.store.put(entry.key, entry.value, entry.expiresAt, entry.version);
    else ctx.store.delete(entry.key);
  }
  ctx.metrics?.movedIn(request.entries.length);
  return { ok: true, count: request.entries.length };
}
