import { z } from "zod";
import {
  isWellFormedText,
  KeySchema,
  LONE_SURROGATE_IN_KEY,
  RequestIdSchema,
  StoredValueSchema,
  ValueSchema,
} from "./common.js";

/**
 * What a key's coordinator exchanges with the key's other replicas (replication factor > 1).
 * Versions are numbers from the coordinator's hybrid logical clock (see the server's
 * replication/versions.ts): a replica keeps whichever copy of a key has the higher version.
 */

const id = RequestIdSchema.optional();

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

/**
 * REPLICATE applies copies on a replica: each is kept if it is newer than what the replica holds
 * (a stale or repeated copy changes nothing), so it is safe to resend. Reply: `{"ok":true}`.
 */
export const ReplicateRequestSchema = z.object({
  op: z.literal("REPLICATE"),
  entries: z.array(VersionedEntrySchema).max(10_000),
  id,
});

/** REPLICA_GET reads this replica's copies of `keys`, tombstones included. Reply: `ReplicaGetReply`. */
export const ReplicaGetRequestSchema = z.object({
  op: z.literal("REPLICA_GET"),
  keys: z.array(KeySchema).min(1).max(10_000),
  id,
});

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
  id,
});

export type VersionedEntry = z.infer<typeof VersionedEntrySchema>;
export type ReplicateRequest = z.infer<typeof ReplicateRequestSchema>;
export type ReplicaGetRequest = z.infer<typeof ReplicaGetRequestSchema>;
export type ReplicaGetReply = z.infer<typeof ReplicaGetReplySchema>;

/**
 * REPLICA_HANDOFF (during an add-node or remove-node of a replicated cluster, run `run`): this
 * node sends each key it holds, from just after `after`, to the replicas the key gains under the
 * placement being migrated to, up to `limit` keys. Reply: `ReplicaHandoffReply`; its `after` is
 * where to continue, absent once every key (and deletion) has been handed off. Idempotent: a
 * replica keeps a copy only if newer.
 */
export const ReplicaHandoffRequestSchema = z.object({
  op: z.literal("REPLICA_HANDOFF"),
  run: z.string().min(1).max(64),
  after: KeySchema.optional(),
  limit: z.number().int().positive().max(10_000).optional(),
  id,
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
