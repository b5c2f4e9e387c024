import { z } from "zod";
import {
  AeHashesRequestSchema,
  AeKeysRequestSchema,
  AeRootsRequestSchema,
  RepairRequestSchema,
} from "./anti-entropy.js";
import { BatchRequestSchema } from "./batch.js";
import {
  ImportRequestSchema,
  MigrateCommitRequestSchema,
  MigrateFetchRequestSchema,
  MigrationRequestSchema,
} from "./cluster.js";
import { OptionalRequestIdSchema as id } from "./common.js";
import {
  DeleteRequestSchema,
  GetAllRequestSchema,
  GetOneRequestSchema,
  PutRequestSchema,
} from "./key-ops.js";
import {
  ReplicaGetRequestSchema,
  ReplicaHandoffRequestSchema,
  ReplicateRequestSchema,
  TrimRequestSchema,
} from "./replication.js";

/**
 * Every operation name, in documentation order.
 *
 * Why exported: the server builds its dispatch table from it and tests
 * iterate it, so adding an op here is the one place that makes it "known".
 */
export const OPS = [
  "PUT",
  "GET_ONE",
  "DELETE",
  "GET_ALL",
  "PING",
  "STATS",
  "BATCH",
  "MIGRATION",
  "MIGRATE_FETCH",
  "MIGRATE_COMMIT",
  "IMPORT",
  "REPLICATE",
  "REPLICA_GET",
  "REPLICA_HANDOFF",
  "TRIM",
  "AE_ROOTS",
  "AE_HASHES",
  "AE_KEYS",
  "REPAIR",
] as const;

/** An operation name. */
export type Op = (typeof OPS)[number];

/** PING checks liveness and reports the node id. Reply: `PingReply`. */
export const PingRequestSchema = z.object({ op: z.literal("PING"), id });

/** STATS reports what the node holds and has done, for operators (`zkv nodes`). Reply: `StatsReply`. */
export const StatsRequestSchema = z.object({
  op: z.literal("STATS"),
  /**
   * Collect garbage before measuring, so `heapUsedBytes` counts live data only. Honoured only by
   * a node started with `node --expose-gc` (the benchmark's nodes): a full collection pauses the
   * node, which no client should be able to ask of a production node.
   */
  gc: z.boolean().optional(),
  id,
});

/**
 * Any request, discriminated on `op`.
 *
 * Why a discriminated union: one lookup on `op` selects the one object
 * schema to run, instead of trying each in turn; and the inferred type lets
 * `switch (request.op)` narrow exhaustively.
 */
export const RequestSchema = z.discriminatedUnion("op", [
  PutRequestSchema,
  GetOneRequestSchema,
  DeleteRequestSchema,
  GetAllRequestSchema,
  PingRequestSchema,
  StatsRequestSchema,
  BatchRequestSchema,
  MigrationRequestSchema,
  MigrateFetchRequestSchema,
  MigrateCommitRequestSchema,
  ImportRequestSchema,
  ReplicateRequestSchema,
  ReplicaGetRequestSchema,
  ReplicaHandoffRequestSchema,
  TrimRequestSchema,
  AeRootsRequestSchema,
  AeHashesRequestSchema,
  AeKeysRequestSchema,
  RepairRequestSchema,
]);

/** A PING request. */
export type PingRequest = z.infer<typeof PingRequestSchema>;
/** A STATS request. */
export type StatsRequest = z.infer<typeof StatsRequestSchema>;
/** Any request; narrow with `switch (request.op)`. */
export type Request = z.infer<typeof RequestSchema>;

type RequestSchemaEntry = readonly [Op, z.ZodType<Request>];

const requestSchemaEntries: readonly RequestSchemaEntry[] = [
  ["PUT", PutRequestSchema],
  ["GET_ONE", GetOneRequestSchema],
  ["DELETE", DeleteRequestSchema],
  ["GET_ALL", GetAllRequestSchema],
  ["PING", PingRequestSchema],
  ["STATS", StatsRequestSchema],
  ["BATCH", BatchRequestSchema],
  ["MIGRATION", MigrationRequestSchema],
  ["REPLICATE", ReplicateRequestSchema],
  ["REPLICA_GET", ReplicaGetRequestSchema],
  ["REPLICA_HANDOFF", ReplicaHandoffRequestSchema],
  ["TRIM", TrimRequestSchema],
  ["MIGRATE_FETCH", MigrateFetchRequestSchema],
  ["MIGRATE_COMMIT", MigrateCommitRequestSchema],
  ["IMPORT", ImportRequestSchema],
  ["AE_ROOTS", AeRootsRequestSchema],
  ["AE_HASHES", AeHashesRequestSchema],
  ["AE_KEYS", AeKeysRequestSchema],
  ["REPAIR", RepairRequestSchema],
];

/**
 * Per-op request schema, for `decodeRequest`'s own dispatch.
 *
 * Why a Map: a plain object would answer `"constructor"` or `"__proto__"`
 * with inherited members; a Map only knows the real ops.
 */
export const REQUEST_SCHEMA_BY_OP: ReadonlyMap<string, z.ZodType<Request>> = new Map(requestSchemaEntries);
