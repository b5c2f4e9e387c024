/**
 * Stable error codes carried on the wire in `{"error":{"code":…}}`.
 *
 * Why a const object and not an enum: it is a plain value that survives
 * `verbatimModuleSyntax`, can be iterated to build the zod schema, and its
 * string values are exactly what travels on the wire, so tests and clients
 * can compare codes without any mapping table. Codes are a contract: never
 * rename one, only add.
 */
export const ErrorCode = {
  /** The frame is not UTF-8, not JSON, or nested deeper than `maxJsonDepth`. */
  BAD_JSON: "BAD_JSON",
  /** The message did not have exactly one non-empty frame. */
  BAD_FRAMES: "BAD_FRAMES",
  /** Valid JSON of the wrong shape: not an object, missing or wrong-typed field, bad limit/cursor. */
  INVALID_REQUEST: "INVALID_REQUEST",
  /** `op` is a string but names no known operation. */
  UNKNOWN_OP: "UNKNOWN_OP",
  /** Message, key or value exceeds its configured byte limit. */
  TOO_LARGE: "TOO_LARGE",
  /** GET_ONE asked for a key that is not stored. */
  NOT_FOUND: "NOT_FOUND",
  /** The node is draining and accepts no new work. */
  SHUTTING_DOWN: "SHUTTING_DOWN",
  /** Client-side: the node owning the key is down or critical. */
  NODE_UNAVAILABLE: "NODE_UNAVAILABLE",
  /** Client-side: no reply arrived in time. */
  TIMEOUT: "TIMEOUT",
  /** The key is not held by this node; `owner` names the node to ask (with `asking: true`). */
  WRONG_NODE: "WRONG_NODE",
  /**
   * The key is moving to `owner` and is no longer (or not yet) held here: retry there once with
   * `asking: true` (Redis Cluster's ASK). Unlike WRONG_NODE, the client's placement stays as it is.
   */
  ASK: "ASK",
  /** The key is being moved right now; retry in a few milliseconds. */
  TRY_AGAIN: "TRY_AGAIN",
  /**
   * Fewer than the write (or read) quorum of the key's replicas are reachable and serving (a
   * bootstrapping replica does not count), so the coordinator refused before touching any
   * replica: nothing was written.
   */
  NOT_ENOUGH_REPLICAS: "NOT_ENOUGH_REPLICAS",
  /**
   * Not enough replicas answered in time. A write may have been applied on some of them and
   * become visible later, exactly as after a TIMEOUT; a read returned nothing.
   */
  QUORUM_TIMEOUT: "QUORUM_TIMEOUT",
  /**
   * A conditional PUT's condition failed (`ifAbsent`: the key exists; `ifVersion`: the key's
   * version is another, or the key does not exist); the message says which. Nothing was written.
   */
  CONFLICT: "CONFLICT",
  /**
   * The node's memory budget (`--max-memory`) would be exceeded by this write; nothing was
   * written. Reads, deletes and writes that do not grow the data still work.
   */
  OUT_OF_MEMORY: "OUT_OF_MEMORY",
  /** A bug or unexpected failure; details stay in the node's logs. */
  INTERNAL: "INTERNAL",
  /**
   * Client-side: the CURVE handshake with the node failed: this client's key is not on the node's
   * allow-list, or the client has no key for a node that requires one (or the reverse).
   */
  AUTH_FAILED: "AUTH_FAILED",
} as const;

/** Union of every wire error code, so switches over codes are exhaustive. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every code as a tuple, in declaration order, for building `z.enum`. */
export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** Optional details of a {@link ZkvError}. */
export interface ZkvErrorOptions {
  /** Name of the offending request field (e.g. `"key"`), so callers can point at it. */
  readonly field?: string;
  /** With WRONG_NODE: the node that should be asked instead. */
  readonly owner?: string;
  /** The underlying failure (zod error, SyntaxError…), kept for logs, never sent on the wire. */
  readonly cause?: unknown;
}

/**
 * The one error type of zkv, on both sides of the wire.
 *
 * Why: callers branch on `code` (stable) rather than on message text or
 * class hierarchies, and `toErrorReply` / `errorFromReply` convert it to and
 * from the wire form without loss of the code or field.
 */
export class ZkvError extends Error {
  /** Stable machine-readable code; the only thing callers should branch on. */
  readonly code: ErrorCode;
  /**
   * The offending request field, when one is to blame. Declared, not
   * initialised, so errors without a field have no `field` property at all.
   */
  declare readonly field?: string;
  /** With WRONG_NODE: the node to ask instead. Absent otherwise. */
  declare readonly owner?: string;

  constructor(code: ErrorCode, message: string, options: ZkvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ZkvError";
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.owner !== undefined) this.owner = options.owner;
  }
}

/** Type guard for {@link ZkvError}, so `catch (e)` blocks can narrow without `instanceof` noise. */
export function isZkvError(value: unknown): value is ZkvError {
  return value instanceof ZkvError;
}
