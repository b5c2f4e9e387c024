import { HASHING_MODES } from "@zkv/hashring";
import { z } from "zod";
import {
  OptionalRequestIdSchema as id,
  KeySchema,
  StoredKeySchema,
  StoredValueSchema,
  ValueSchema,
} from "./common.js";
import { ExpiresAtSchema, VersionSchema } from "./replication.js";

/**
 * The requests zkv's own parties exchange while moving data (add-node, remove-node). They are
 * JSON on the same socket as everything else, so any node can be driven by any zkv client, and
 * each is idempotent so a killed rebalance can simply be run again.
 */

/** Identifies one rebalance run; a new run takes over the fences of an abandoned one. */
export const RunIdSchema = z.string().min(1).max(64);

/** One member of a placement: a node id and its hashing weight. */
export const PlacementMemberSchema = z.object({
  id: z.string().min(1).max(128),
  weight: z.number().positive(),
});

/** A complete placement: the algorithm and the members, enough for any party to rebuild it. */
export const PlacementSpecSchema = z.object({
  hashing: z.enum(HASHING_MODES),
  members: z.array(PlacementMemberSchema).min(1).max(4096),
});

/**
 * One moved entry: a value, or a tombstone (`deleted: true`) for a key deleted on the source
 * while its move was pending, so a stale copy on the target can never come back. A value keeps
 * its `version` (so a compare-and-set works across the move) and its `expiresAt`, when it has one.
 */
export const MovedEntrySchema = movedEntry(KeySchema, ValueSchema);

/** An entry IMPORT stores: a value's key and value must be well-formed UTF-16 (a tombstone's need not). */
const ImportEntrySchema = movedEntry(StoredKeySchema, StoredValueSchema);

function movedEntry(key: typeof KeySchema, value: typeof ValueSchema) {
  return z.union([
    z.object({ key, value, version: VersionSchema.optional(), expiresAt: ExpiresAtSchema.optional() }),
    z.object({ key: KeySchema, deleted: z.literal(true) }),
  ]);
}

/**
 * MIGRATION tells a node about a placement change. `begin`: `placement` is where keys are going;
 * the node keeps serving the keys it still holds, redirects requests for keys it no longer holds
 * (WRONG_NODE with `owner`) and accepts keys it will own. `end`: `placement` is now the cluster's
 * placement. Reply: `{"ok":true,"node":…}`.
 */
export const MigrationRequestSchema = z.object({
  op: z.literal("MIGRATION"),
  phase: z.enum(["begin", "end"]),
  run: RunIdSchema,
  /** `begin`: the epoch being left; `end`: the epoch of `placement`. Older news is ignored. */
  epoch: z.number().int().nonnegative(),
  placement: PlacementSpecSchema,
  /** `begin` only: the placement being left, for a node that has not learnt it from Consul. */
  current: PlacementSpecSchema.optional(),
  id,
});

/**
 * MIGRATE_FETCH reads entries to move and fences them: until MIGRATE_COMMIT (or a lease runs
 * out) requests for them get TRY_AGAIN, so no write can slip in between copy and delete. With
 * `keys`, it returns those (in order, as many as fit one message; `fetched` says how many of
 * `keys` were handled); with `sweep`, up to `limit` of any entries this node holds that the
 * placement being migrated to puts elsewhere.
 */
export const MigrateFetchRequestSchema = z.object({
  op: z.literal("MIGRATE_FETCH"),
  run: RunIdSchema,
  keys: z.array(KeySchema).max(100_000).optional(),
  sweep: z.boolean().optional(),
  limit: z.number().int().positive().max(100_000).optional(),
  id,
});

/** MIGRATE_COMMIT deletes fetched entries once their new owner has them, and lifts their fence. */
export const MigrateCommitRequestSchema = z.object({
  op: z.literal("MIGRATE_COMMIT"),
  run: RunIdSchema,
  keys: z.array(KeySchema).max(100_000),
  id,
});

/** IMPORT applies moved entries on their new owner (values stored, tombstones deleted). */
export const ImportRequestSchema = z.object({
  op: z.literal("IMPORT"),
  run: RunIdSchema,
  entries: z.array(ImportEntrySchema).max(100_000),
  id,
});

/** Reply to MIGRATE_FETCH. */
export const MigrateFetchReplySchema = z.object({
  entries: z.array(MovedEntrySchema),
  fetched: z.number().int().nonnegative(),
  id,
});

/** Reply to MIGRATE_COMMIT and IMPORT: how many entries were removed or applied. */
export const MigrateCountReplySchema = z.object({
  ok: z.literal(true),
  count: z.number().int().nonnegative(),
  id,
});

export type PlacementSpec = z.infer<typeof PlacementSpecSchema>;
export type PlacementMember = z.infer<typeof PlacementMemberSchema>;
export type MovedEntry = z.infer<typeof MovedEntrySchema>;
export type MigrationRequest = z.infer<typeof MigrationRequestSchema>;
export type MigrateFetchRequest = z.infer<typeof MigrateFetchRequestSchema>;
export type MigrateCommitRequest = z.infer<typeof MigrateCommitRequestSchema>;
export type ImportRequest = z.infer<typeof ImportRequestSchema>;
export type MigrateFetchReply = z.infer<typeof MigrateFetchReplySchema>;
export type MigrateCountReply = z.infer<typeof MigrateCountReplySchema>;
