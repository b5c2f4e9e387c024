import { z } from "zod";
import { ERROR_CODES } from "../errors.js";
import {
  AeHashesReplySchema,
  AeKeysReplySchema,
  AeRootsReplySchema,
  RepairReplySchema,
} from "./anti-entropy.js";
import { BatchColumnsReplySchema, BatchReplySchema } from "./batch.js";
import { MigrateCountReplySchema, MigrateFetchReplySchema } from "./cluster.js";
import { OptionalRequestIdSchema as id, KeySchema, KeyValueSchema, ValueSchema } from "./common.js";
import {
  ExpiresAtSchema,
  ReplicaGetReplySchema,
  ReplicaHandoffReplySchema,
  ReplicateReplySchema,
  VersionSchema,
} from "./replication.js";
import type { Op } from "./requests.js";

/**
 * Acknowledges a PUT: `{"ok":true}`, with the new `version` when asked (`withVersion`, conditions).
 * A restore (PUT with `version`) gets `applied`, false when the key's copy was as new or newer and
 * nothing changed, and the `version` the key holds now.
 */
export const PutReplySchema = z.object({
  ok: z.literal(true),
  version: VersionSchema.optional(),
  applied: z.boolean().optional(),
  id,
});

/**
 * The value of a GET_ONE: `{"key":"k","value":"v"}`; with `withVersion`, also the key's `version`
 * and, for a key that expires, `expiresAt`.
 */
export const GetOneReplySchema = z.object({
  key: KeySchema,
  value: ValueSchema,
  version: VersionSchema.optional(),
  expiresAt: ExpiresAtSchema.optional(),
  id,
});

/** Result of a DELETE: `{"ok":true,"deleted":bool}`, `deleted` false when the key was absent. */
export const DeleteReplySchema = z.object({ ok: z.literal(true), deleted: z.boolean(), id });

/**
 * One GET_ALL page. A present `cursor` means more entries may follow and is
 * passed back verbatim; its absence marks the last page. Clients treat it as
 * opaque, so only non-emptiness is checked here.
 */
export const GetAllReplySchema = z.object({
  /** Entries; with `versions: true` in the request each also has `version` (and `expiresAt` if set). */
  collection: z.array(
    KeyValueSchema.extend({ version: VersionSchema.optional(), expiresAt: ExpiresAtSchema.optional() }),
  ),
  cursor: z.string().min(1).optional(),
  id,
});

/** Answer to PING: `{"ok":true,"node":"<node id>"}`. */
export const PingReplySchema = z.object({ ok: z.literal(true), node: z.string(), id });

/**
 * Answer to STATS: entries held, their bytes (UTF-8, keys plus values), requests answered since
 * start (errors included), and seconds since start.
 */
export const StatsReplySchema = z.object({
  node: z.string(),
  keys: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  opsServed: z.number().int().nonnegative(),
  uptimeSeconds: z.number().nonnegative(),
  /** V8 heap in use (live data and not yet collected garbage), in bytes. */
  heapUsedBytes: z.number().int().nonnegative(),
  /** Resident memory of the node's process, in bytes. */
  rssBytes: z.number().int().nonnegative(),
  /** The node's memory budget for `bytes` (`--max-memory`); absent or null when unlimited. */
  maxBytes: z.number().int().positive().nullable().optional(),
  /** Bytes of replies held for clients that are not reading them (`--client-output-limit`). */
  replyQueueBytes: z.number().int().nonnegative().optional(),
  /** The most one client has had held at once since start. */
  replyQueueMaxBytes: z.number().int().nonnegative().optional(),
  /** Clients dropped since start for leaving more than the limit unread. */
  clientsDropped: z.number().int().nonnegative().optional(),
  /**
   * With replication: `bootstrapping` while the node takes the copies it should hold from the
   * other replicas (its answers count toward no quorum), then `serving`. Absent with one copy.
   */
  state: z.enum(["bootstrapping", "serving"]).optional(),
  /**
   * With replication: hints this node holds as a coordinator, per replica (the keys each replica
   * missed and will be sent once it is back); replicas with none are absent.
   */
  hints: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** With replication: misses not recorded since start because their replica's hints were at the cap. */
  hintsDropped: z.number().int().nonnegative().optional(),
  /**
   * With replication: members Consul shows passing that this node cannot reach (its link to each
   * is down): a network cut between nodes, which Consul's health checks do not see.
   */
  unreachablePeers: z.array(z.string()).optional(),
  id,
});

/**
 * Any failure: `{"error":{"code","message","field"?}}`. `code` is one of the
 * stable {@link ERROR_CODES}; `message` is for humans and may change.
 */
export const ErrorReplySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    field: z.string().optional(),
    /** With WRONG_NODE: the id of the node to ask instead. */
    owner: z.string().optional(),
  }),
  id,
});

/**
 * Any reply. Replies carry no op, so options are tried most specific first:
 * the bare ack `{"ok":true}` comes last because DELETE and PING replies also
 * match it once extra fields are stripped. When the op is known, prefer
 * `decodeReply(buf, op)`, which checks against that op's reply only.
 */
export const ReplySchema = z.union([
  ErrorReplySchema,
  RepairReplySchema,
  AeKeysReplySchema,
  AeHashesReplySchema,
  AeRootsReplySchema,
  ReplicaGetReplySchema,
  ReplicaHandoffReplySchema,
  MigrateFetchReplySchema,
  MigrateCountReplySchema,
  StatsReplySchema,
  BatchReplySchema,
  BatchColumnsReplySchema,
  GetAllReplySchema,
  GetOneReplySchema,
  DeleteReplySchema,
  PingReplySchema,
  PutReplySchema,
]);

/** Reply schema for each op's success case, so clients can validate against exactly one shape. */
export const REPLY_SCHEMA_BY_OP = {
  PUT: PutReplySchema,
  GET_ONE: GetOneReplySchema,
  DELETE: DeleteReplySchema,
  GET_ALL: GetAllReplySchema,
  PING: PingReplySchema,
  STATS: StatsReplySchema,
  BATCH: z.union([BatchReplySchema, BatchColumnsReplySchema]),
  MIGRATION: PingReplySchema,
  MIGRATE_FETCH: MigrateFetchReplySchema,
  MIGRATE_COMMIT: MigrateCountReplySchema,
  IMPORT: MigrateCountReplySchema,
  REPLICATE: ReplicateReplySchema,
  REPLICA_GET: ReplicaGetReplySchema,
  REPLICA_HANDOFF: ReplicaHandoffReplySchema,
  TRIM: MigrateCountReplySchema,
  AE_ROOTS: AeRootsReplySchema,
  AE_HASHES: AeHashesReplySchema,
  AE_KEYS: AeKeysReplySchema,
  REPAIR: RepairReplySchema,
} as const satisfies Record<Op, z.ZodType>;

/** Reply to a PUT (the plain ack). */
export type PutReply = z.infer<typeof PutReplySchema>;
/** Reply to a GET_ONE that found the key. */
export type GetOneReply = z.infer<typeof GetOneReplySchema>;
/** Reply to a DELETE. */
export type DeleteReply = z.infer<typeof DeleteReplySchema>;
/** One GET_ALL page. */
export type GetAllReply = z.infer<typeof GetAllReplySchema>;
/** Reply to a PING. */
export type PingReply = z.infer<typeof PingReplySchema>;
/** Reply to a STATS. */
export type StatsReply = z.infer<typeof StatsReplySchema>;
/** Any error reply. */
export type ErrorReply = z.infer<typeof ErrorReplySchema>;
/** Any reply; use `isErrorReply` to split failures from successes. */
export type Reply = z.infer<typeof ReplySchema>;
/** The success reply type of op `O`, so typed clients get `GetOneReply` back from a GET_ONE. */
export type ReplyFor<O extends Op> = z.infer<(typeof REPLY_SCHEMA_BY_OP)[O]>;
