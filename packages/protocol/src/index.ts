/**
 * @zkv/protocol: the wire contract between zkv servers and clients.
 *
 * Everything either side needs to speak zkv is exported here and nowhere
 * else: schemas, inferred types, limits, error codes and the codecs.
 */

export {
  acceptsPlainOp,
  type BatchOp,
  type ColumnError,
  ColumnsReplyBuilder,
  columnsReplyOf,
  decodeBatchColumns,
  encodeBatchColumns,
  keyNotFound,
  repliesOfColumns,
} from "./batch-columns.js";
export { decodeReply, encodeReply, encodeRequest, validateReply } from "./codec.js";
export { decodeCursor, encodeCursor } from "./cursor.js";
export { type DecodeRequestResult, decodeBatchOp, decodeRequest } from "./decode-request.js";
export { errorFromReply, isErrorReply, toErrorReply } from "./error-reply.js";
export { ERROR_CODES, ErrorCode, isZkvError, ZkvError, type ZkvErrorOptions } from "./errors.js";
export { EXIT_CODE_BY_ERROR, ExitCode, errorCodeOf, exitCodeFor } from "./exit-codes.js";
export { CLOSE_OBJECT, decodeUtf8, type JsonParseResult, parseJsonSafe } from "./json.js";
export {
  digitsEnd,
  integerIn,
  PIECEWISE_BYTES,
  readArrayInPieces,
  startsWith,
} from "./json-bytes.js";
export { DEFAULT_LIMITS, effectivePageSize, type Limits, LimitsSchema, resolveLimits } from "./limits.js";
export { copiesOfReplicate, replicateColumnsOf } from "./replicate-columns.js";
export {
  AE_TREE_DEPTH,
  AE_TREE_FANOUT,
  AE_TREE_LEAVES,
  type AeHashesReply,
  AeHashesReplySchema,
  type AeHashesRequest,
  AeHashesRequestSchema,
  type AeKeysReply,
  AeKeysReplySchema,
  type AeKeysRequest,
  AeKeysRequestSchema,
  type AeRootsReply,
  AeRootsReplySchema,
  type AeRootsRequest,
  AeRootsRequestSchema,
  RangeReplicasSchema,
  type RepairReply,
  RepairReplySchema,
  type RepairRequest,
  RepairRequestSchema,
  TreeNodeSchema,
  type TreeNodeSummary,
} from "./schemas/anti-entropy.js";
export {
  type BatchColumns,
  type BatchColumnsReply,
  BatchColumnsReplySchema,
  BatchColumnsSchema,
  type BatchReply,
  BatchReplySchema,
  type BatchRequest,
  BatchRequestSchema,
  MAX_BATCH_OPS,
} from "./schemas/batch.js";
export {
  type ImportRequest,
  ImportRequestSchema,
  type MigrateCommitRequest,
  MigrateCommitRequestSchema,
  type MigrateCountReply,
  MigrateCountReplySchema,
  type MigrateFetchReply,
  MigrateFetchReplySchema,
  type MigrateFetchRequest,
  MigrateFetchRequestSchema,
  type MigrationRequest,
  MigrationRequestSchema,
  type MovedEntry,
  MovedEntrySchema,
  type PlacementMember,
  PlacementMemberSchema,
  type PlacementSpec,
  PlacementSpecSchema,
  RunIdSchema,
} from "./schemas/cluster.js";
export {
  KeySchema,
  type KeyValue,
  KeyValueSchema,
  MAX_ID_LENGTH,
  type RequestId,
  RequestIdSchema,
  ValueSchema,
} from "./schemas/common.js";
export {
  CursorSchema,
  type DeleteRequest,
  DeleteRequestSchema,
  type GetAllRequest,
  GetAllRequestSchema,
  type GetOneRequest,
  GetOneRequestSchema,
  isConditional,
  MAX_TTL_SECONDS,
  type PutRequest,
  PutRequestSchema,
} from "./schemas/key-ops.js";
export {
  ExpiresAtSchema,
  type ReplicaGetReply,
  ReplicaGetReplySchema,
  type ReplicaGetRequest,
  ReplicaGetRequestSchema,
  type ReplicaHandoffReply,
  ReplicaHandoffReplySchema,
  type ReplicaHandoffRequest,
  ReplicaHandoffRequestSchema,
  type ReplicateColumns,
  ReplicateColumnsSchema,
  type ReplicateReply,
  ReplicateReplySchema,
  type ReplicateRequest,
  ReplicateRequestSchema,
  type TrimRequest,
  TrimRequestSchema,
  type VersionedEntry,
  VersionedEntrySchema,
  VersionSchema,
} from "./schemas/replication.js";
export {
  type DeleteReply,
  DeleteReplySchema,
  type ErrorReply,
  ErrorReplySchema,
  type GetAllReply,
  GetAllReplySchema,
  type GetOneReply,
  GetOneReplySchema,
  type PingReply,
  PingReplySchema,
  type PutReply,
  PutReplySchema,
  REPLY_SCHEMA_BY_OP,
  type Reply,
  type ReplyFor,
  ReplySchema,
  type StatsReply,
  StatsReplySchema,
} from "./schemas/replies.js";
export {
  OPS,
  type Op,
  type PingRequest,
  PingRequestSchema,
  type Request,
  RequestSchema,
  type StatsRequest,
  StatsRequestSchema,
} from "./schemas/requests.js";
export { parseAllowList } from "./security/allow-list.js";
export {
  CURVE_KEY_LENGTH,
  CurveKeyError,
  type CurveKeyPair,
  curveKeyToZ85,
  parseCurveKey,
  publicKeyOf,
} from "./security/curve-key.js";
export { type KeySource, loadAllowListFile, loadCurveIdentity, loadCurveKey } from "./security/key-files.js";
export { z85Decode, z85Encode } from "./security/z85.js";
