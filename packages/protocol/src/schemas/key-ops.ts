import { z } from "zod";
import { tryDecodeCursor } from "../cursor.js";
import {
  OptionalDeadlineSchema as deadline,
  OptionalRequestIdSchema as id,
  KeySchema,
  StoredKeySchema,
  StoredValueSchema,
} from "./common.js";
import { VersionSchema } from "./replication.js";

// The key ops: the seed's PUT, GET_ONE and GET_ALL, and DELETE, with their additive fields.

/**
 * Set by a client following a WRONG_NODE redirect during a rebalance (like Redis Cluster's
 * ASKING): the node serves the key even though the cluster's current placement does not yet
 * give it to this node.
 */
const asking = z.boolean().optional();
/**
 * With replication, how many of the key's replicas must acknowledge a write (`w`) or answer a read
 * (`r`) before the reply; the cluster's defaults when absent. More than the replication factor
 * is refused (INVALID_REQUEST).
 */
const quorum = z.number().int().min(1).max(64).optional();

/** Longest `ttl` a PUT may ask for: ten years, in seconds (far enough, and safe as a time). */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/**
 * PUT stores `value` under `key`, replacing any previous value. Reply: `PutReply`.
 *
 * Optional, all additive to the seed's form: `ttl` (seconds from now) or `expiresAt` (an absolute
 * time, ms since the epoch) makes the key expire; `ifAbsent` writes only when the key does not
 * exist, `ifVersion` only when its current version is that one (compare-and-set); a failed
 * condition is the error CONFLICT and writes nothing. `withVersion` asks for the new version in
 * the reply (conditional writes always get it). Key and value must be well-formed UTF-16.
 *
 * `version` makes the PUT a restore (what `zkv import` sends): the value arrives with the version
 * it had where it was exported, and its absolute `expiresAt` if it expires. The node keeps
 * whichever of it and the key's own copy is newer, by the rule replicas use (a deletion's
 * tombstone included), and issues no new version; the reply says whether it was `applied`.
 */
export const PutRequestSchema = z
  .object({
    op: z.literal("PUT"),
    key: StoredKeySchema,
    value: StoredValueSchema,
    ttl: z.number().positive().max(MAX_TTL_SECONDS).optional(),
    expiresAt: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    ifAbsent: z.boolean().optional(),
    ifVersion: VersionSchema.optional(),
    withVersion: z.boolean().optional(),
    version: VersionSchema.optional(),
    asking,
    w: quorum,
    deadline,
    id,
  })
  .refine((r) => r.ttl === undefined || r.expiresAt === undefined, {
    message: "give ttl or expiresAt, not both",
    path: ["expiresAt"],
  })
  .refine((r) => r.ifAbsent !== true || r.ifVersion === undefined, {
    message: "give ifAbsent or ifVersion, not both",
    path: ["ifVersion"],
  })
  .refine(
    (r) => r.version === undefined || (r.ttl === undefined && !r.ifAbsent && r.ifVersion === undefined),
    {
      message: "a restore (version) takes expiresAt, not ttl, ifAbsent or ifVersion",
      path: ["version"],
    },
  );

/**
 * GET_ONE reads one key. Reply: `GetOneReply`, or error NOT_FOUND (an expired key is not found).
 * `withVersion` adds the key's `version` (and `expiresAt`, when it expires) to the reply.
 */
export const GetOneRequestSchema = z.object({
  op: z.literal("GET_ONE"),
  key: KeySchema,
  withVersion: z.boolean().optional(),
  asking,
  r: quorum,
  id,
});

/** DELETE removes one key, reporting whether it existed. Reply: `DeleteReply`. */
export const DeleteRequestSchema = z.object({
  op: z.literal("DELETE"),
  key: KeySchema,
  asking,
  w: quorum,
  deadline,
  id,
});

/**
 * A GET_ALL cursor: must be a string produced by `encodeCursor`, so garbage
 * is refused at the wire boundary (INVALID_REQUEST, field "cursor") rather
 * than deep inside the store.
 */
export const CursorSchema = z
  .string()
  .refine((cursor) => tryDecodeCursor(cursor) !== undefined, { message: "not a valid cursor" });

/**
 * GET_ALL lists entries in pages. `limit` caps the page (the server also caps
 * it at `maxPageSize`; without it only the message size bounds a page);
 * `cursor` resumes after the previous page. `versions: true` adds each entry's
 * version and expiry (what a lossless export needs, in the same pass).
 */
export const GetAllRequestSchema = z.object({
  op: z.literal("GET_ALL"),
  limit: z.number().int().positive().optional(),
  cursor: CursorSchema.optional(),
  versions: z.boolean().optional(),
  id,
});

/** A PUT request. */
export type PutRequest = z.infer<typeof PutRequestSchema>;
/** A GET_ONE request. */
export type GetOneRequest = z.infer<typeof GetOneRequestSchema>;
/** A DELETE request. */
export type DeleteRequest = z.infer<typeof DeleteRequestSchema>;
/** A GET_ALL request. */
export type GetAllRequest = z.infer<typeof GetAllRequestSchema>;

/**
 * True for a conditional PUT: a put-if-absent or a compare-and-set. The key's primary alone
 * decides one (it runs them one at a time per key), so a client never fails one over to another
 * replica. Takes any request-shaped object, so a client can ask before the request has an id.
 */
export function isConditional(request: {
  readonly op: string;
  readonly ifAbsent?: boolean;
  readonly ifVersion?: number;
}): boolean {
  return request.op === "PUT" && (request.ifAbsent === true || request.ifVersion !== undefined);
}
