import { z } from "zod";
import {
  OptionalRequestIdSchema as id,
  isWellFormedText,
  KeySchema,
  LONE_SURROGATE_IN_KEY,
  StoredValueSchema,
  ValueSchema,
} from "./common.js";

/**
 * What a key's coordinator exchanges with the key's other replicas (replication factor > 1).
 * Versions are numbers from the coordinator's hybrid logical clock (see the server's
 * replication/versions.ts): a replica keeps whichever copy of a key has the higher version.
 */

/** A version: a non-negative safe integer. */
export const VersionSchema = z.number().int().nonnegative();

/** When a key expires: ms since the epoch (absent: never). An absolute time, so copies agree. */
export const ExpiresAtSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * A key's copy at some version: its value, or a deletion (tombstone) when `value` is absent, and
 * when the value expires, if it does. A value's key and value must be well-formed UTF-16, as in a
 * PUT; a tombstone's key need not (deletes take any key).
 */
export const VersionedEntrySchema = z
  .object({
    key: KeySchema,
    value: StoredValueSchema.optional(),
    version: VersionSchema,
    expiresAt: ExpiresAtSchema.optional(),
  })
  .refine((e) => e.value === undefined || isWellFormedText(e.key), {
    message: LONE_SURROGATE_IN_KEY,
    path: ["key"],
  });

/** Most copies one REPLICATE carries, in rows and in columns each. */
const MAX_COPIES = 10_000;

/**
 * Copies in columns, as coordinators send them: copy i is `keys[i]` at `versions[i]`, its value
 * `values[i]` (null: a tombstone), expiring at `expiresAt[i]` (0 or no column: never). What a row
 * of `entries` says, without an object and three field names per copy: a replica parses a REPLICATE
 * of 1000 copies in about half the time.
 */
export const ReplicateColumnsSchema = z
  .object({
    keys: z.array(KeySchema).max(MAX_COPIES),
    values: z.array(StoredValueSchema.nullable()).max(MAX_COPIES),
    versions: z.array(VersionSchema).max(MAX_COPIES),
    expiresAt: z
      .array(z.union([z.literal(0), ExpiresAtSchema]))
      .max(MAX_COPIES)
      .optional(),
  })
  .refine(
    (c) =>
      c.values.length === c.keys.length &&
      c.versions.length === c.keys.length &&
      (c.expiresAt === undefined || c.expiresAt.length === c.keys.length),
    { message: "keys, values, versions and expiresAt must be as long as each other" },
  )
  .refine((c) => c.keys.every((key, i) => c.values[i] === null || isWellFormedText(key)), {
    message: LONE_SURROGATE_IN_KEY,
    path: ["keys"],
  });

/**
 * REPLICATE applies copies on a replica: each is kept if it is newer than what the replica holds
 * (a stale or repeated copy changes nothing), so it is safe to resend. The copies come as rows
 * (`entries`), in columns (`columns`), or both (rows first). Reply: `{"ok":true}`.
 */
export const ReplicateRequestSchema = z.object({
  op: z.literal("REPLICATE"),
  entries: z.array(VersionedEntrySchema).max(MAX_COPIES).optional(),
  columns: ReplicateColumnsSchema.optional(),
  id,
});

/** REPLICA_GET reads this replica's copies of `keys`, tombstones included. Reply: `ReplicaGetReply`. */
export const ReplicaGetRequestSchema = z.object({
  op: z.literal("REPLICA_GET"),
  keys: z.array(KeySchema).min(1).max(10_000),
  id,
});

/**
 * Set on a replica's answer while it is bootstrapping: it restarted without the copies it should
 * hold and is still taking them from the other replicas, so its answer must not count toward a
 * quorum (a missing copy there means nothing). Absent once it serves.
 */
export const BootstrappingSchema = z.literal(true).optional();

/** Answer to REPLICATE: the copies are applied (kept where newer). */
export const ReplicateReplySchema = z.object({ ok: z.literal(true), bootstrapping: BootstrappingSchema, id });

/** One answer per requested key, in order: the copy, or `{key}` alone when the replica has none. */
export const ReplicaGetReplySchema = z.object({
  entries: z.array(
    z.object({
      key: KeySchema,
      value: ValueSchema.optional(),
      version: VersionSchema.optional(),
      expiresAt: ExpiresAtSchema.optional(),
    }),
  ),
  bootstrapping: BootstrappingSchema,
  id,
});

export type VersionedEntry = z.infer<typeof VersionedEntrySchema>;
export type ReplicateRequest = z.infer<typeof ReplicateRequestSchema>;
export type ReplicateColumns = z.infer<typeof ReplicateColumnsSchema>;
export type ReplicaGetRequest = z.infer<typeof ReplicaGetRequestSchema>;
export type ReplicaGetReply = z.infer<typeof ReplicaGetReplySchema>;
export type ReplicateReply = z.infer<typeof ReplicateReplySchema>;

/**
 * REPLICA_HANDOFF, in one of two forms (exactly one of `run` and `to`), scanning the keys this
 * node holds from just after `after`, up to `limit` keys:
 * - `run` (during an add-node or remove-node of a replicated cluster): sends each key to the
 *   replicas it gains under the placement being migrated to;
 * - `to` (asked by node `to` while it bootstraps): sends `to` each key whose replicas include it.
 * Reply: `ReplicaHandoffReply`; its `after` is where to continue, absent once every key (and
 * deletion) has been handed off. Idempotent: a replica keeps a copy only if newer.
 */
export const ReplicaHandoffRequestSchema = z
  .object({
    op: z.literal("REPLICA_HANDOFF"),
    run: z.string().min(1).max(64).optional(),
    to: z.string().min(1).max(128).optional(),
    after: KeySchema.optional(),
    limit: z.number().int().positive().max(10_000).optional(),
    id,
  })
  .refine((r) => (r.run === undefined) !== (r.to === undefined), {
    message: "exactly one of run and to",
    path: ["run"],
  });

export const ReplicaHandoffReplySchema = z.object({
  scanned: z.number().int().nonnegative(),
  pushed: z.number().int().nonnegative(),
  after: KeySchema.optional(),
  id,
});

/**
 * TRIM (after a replicated cluster's add-node or remove-node has ended): this node forgets every
 * key it no longer replicates under the cluster's placement. Reply: `{"ok":true,"count":n}`.
 */
export const TrimRequestSchema = z.object({ op: z.literal("TRIM"), id });

export type ReplicaHandoffRequest = z.infer<typeof ReplicaHandoffRequestSchema>;
export type ReplicaHandoffReply = z.infer<typeof ReplicaHandoffReplySchema>;
export type TrimRequest = z.infer<typeof TrimRequestSchema>;
