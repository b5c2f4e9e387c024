import type { ErrorCode } from "./errors.js";

/**
 * Exit codes of both zkv programs (`zkv` and `zkv-server`), so scripts can tell a missing key
 * from a typo from an outage. Above 64 they follow BSD sysexits.h.
 */
export const ExitCode = {
  OK: 0,
  /** Something failed at run time (a write timed out, a node would not start). */
  FAILURE: 1,
  /** Bad flags, arguments or environment. */
  USAGE: 2,
  /** `zkv get` of a key that does not exist. */
  NOT_FOUND: 3,
  /** A change was refused: a membership change, or a launch that contradicts the running cluster. */
  REFUSED: 4,
  /** A conditional write's condition failed: the key exists, or is at another version. */
  CONFLICT: 5,
  /** Input that is not what it claims to be, e.g. an import file that is not a zkv backup (EX_DATAERR). */
  DATA_ERROR: 65,
  /** Consul, or the node that owns the key, could not be reached (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** A data dir cannot be used: not creatable, not a zkv store, or locked (EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** A node refused this client's CURVE key, or Consul refused the token (EX_NOPERM). */
  NO_PERMISSION: 77,
  /** A CURVE key or allow-list file is missing or malformed (EX_CONFIG). */
  CONFIG: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every wire code, so that a new one does not compile until it has its exit code. Most are
 * failures a script cannot act on differently; those it can (a missing key, a conflict, an
 * outage, a refused key) have their own.
 */
const EXIT_CODE_BY_WIRE_ERROR: Readonly<Record<ErrorCode, ExitCode>> = {
  BAD_JSON: ExitCode.FAILURE,
  BAD_FRAMES: ExitCode.FAILURE,
  INVALID_REQUEST: ExitCode.FAILURE,
  UNKNOWN_OP: ExitCode.FAILURE,
  TOO_LARGE: ExitCode.FAILURE,
  NOT_FOUND: ExitCode.NOT_FOUND,
  SHUTTING_DOWN: ExitCode.FAILURE,
  NODE_UNAVAILABLE: ExitCode.UNAVAILABLE,
  TIMEOUT: ExitCode.FAILURE,
  WRONG_NODE: ExitCode.FAILURE,
  ASK: ExitCode.FAILURE,
  TRY_AGAIN: ExitCode.FAILURE,
  NOT_ENOUGH_REPLICAS: ExitCode.FAILURE,
  QUORUM_TIMEOUT: ExitCode.FAILURE,
  CONFLICT: ExitCode.CONFLICT,
  OUT_OF_MEMORY: ExitCode.FAILURE,
  INTERNAL: ExitCode.FAILURE,
  AUTH_FAILED: ExitCode.NO_PERMISSION,
};

/**
 * The one table from an error's `code` to the exit code a zkv program ends with: the wire codes
 * and the code of every error class in every package and app, each listed on purpose (FAILURE
 * included), so an unlisted code means a bug. apps/client/test/error-codes.test.ts finds the
 * error classes in the sources and checks each one's code is here with its documented exit code.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<string, ExitCode>> = {
  ...EXIT_CODE_BY_WIRE_ERROR,
  // @zkv/hashring: a placement that cannot be built; a node that is or is not there is a refusal
  EMPTY_PLACEMENT: ExitCode.FAILURE,
  DUPLICATE_NODE: ExitCode.REFUSED,
  UNKNOWN_NODE: ExitCode.REFUSED,
  INVALID_NODE: ExitCode.FAILURE,
  INVALID_WEIGHT: ExitCode.FAILURE,
  INVALID_ARGUMENT: ExitCode.FAILURE,
  PLACEMENT_TOO_LARGE: ExitCode.FAILURE,
  // @zkv/membership
  CONSUL_UNAVAILABLE: ExitCode.UNAVAILABLE,
  CONSUL_PERMISSION_DENIED: ExitCode.NO_PERMISSION,
  INVALID_CONSUL_ADDR: ExitCode.USAGE,
  INVALID_SETTING: ExitCode.FAILURE,
  LOCK_HELD: ExitCode.REFUSED,
  CONSUL_BINARY_NOT_FOUND: ExitCode.FAILURE,
  // @zkv/protocol security
  INVALID_CURVE_KEY: ExitCode.CONFIG,
  // zkv: membership changes refused before anything moved (UNKNOWN_NODE, DUPLICATE_NODE above)
  LAST_NODE: ExitCode.REFUSED,
  TOO_FEW_NODES: ExitCode.REFUSED,
  REBALANCE_IN_PROGRESS: ExitCode.REFUSED,
  NO_CLUSTER: ExitCode.REFUSED,
  NODE_NOT_READY: ExitCode.REFUSED,
  // zkv set-replication: quorums larger than n, or that do not overlap (r + w ≤ n)
  BAD_QUORUMS: ExitCode.REFUSED,
  // zkv: backups
  BAD_BACKUP_LINE: ExitCode.DATA_ERROR,
  // zkv-server: launches refused, data dirs, the store
  SETTINGS_DIFFER: ExitCode.REFUSED,
  CLUSTER_RUNNING: ExitCode.REFUSED,
  PORT_IN_USE: ExitCode.REFUSED,
  DATA_WOULD_BE_ORPHANED: ExitCode.REFUSED,
  DATA_DIR_LOCKED: ExitCode.CANT_CREATE,
  DATA_DIR_UNUSABLE: ExitCode.CANT_CREATE,
  BAD_RECORD: ExitCode.FAILURE,
  STORE_CLOSED: ExitCode.FAILURE,
  STORE_COMMIT_FAILED: ExitCode.FAILURE,
};

/** The `code` of any zkv error (every zkv error class has one), or undefined. */
export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The exit code a zkv program ends with for `err`. */
export function exitCodeFor(err: unknown): ExitCode {
  const code = errorCodeOf(err);
  return code !== undefined && Object.hasOwn(EXIT_CODE_BY_ERROR, code)
    ? EXIT_CODE_BY_ERROR[code]!
    : ExitCode.FAILURE;
}
