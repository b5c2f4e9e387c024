import { ErrorCode } from "./errors.js";

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
 * The one table from an error's `code` to the exit code a zkv program ends with. Wire codes
 * (ErrorCode) and the codes of every package's error classes are listed; a code not listed
 * (a bug, an unexpected failure) exits FAILURE. Tests check every error class is here.
 */
export const EXIT_CODE_BY_ERROR: Readonly<Record<string, ExitCode>> = {
  [ErrorCode.NOT_FOUND]: ExitCode.NOT_FOUND,
  [ErrorCode.CONFLICT]: ExitCode.CONFLICT,
  [ErrorCode.NODE_UNAVAILABLE]: ExitCode.UNAVAILABLE,
  [ErrorCode.AUTH_FAILED]: ExitCode.NO_PERMISSION,
  // @zkv/membership
  CONSUL_UNAVAILABLE: ExitCode.UNAVAILABLE,
  CONSUL_PERMISSION_DENIED: ExitCode.NO_PERMISSION,
  INVALID_CONSUL_ADDR: ExitCode.USAGE,
  LOCK_HELD: ExitCode.REFUSED,
  // @zkv/protocol security
  INVALID_CURVE_KEY: ExitCode.CONFIG,
  // zkv: membership changes refused before anything moved
  UNKNOWN_NODE: ExitCode.REFUSED,
  LAST_NODE: ExitCode.REFUSED,
  TOO_FEW_NODES: ExitCode.REFUSED,
  DUPLICATE_NODE: ExitCode.REFUSED,
  REBALANCE_IN_PROGRESS: ExitCode.REFUSED,
  NO_CLUSTER: ExitCode.REFUSED,
  NODE_NOT_READY: ExitCode.REFUSED,
  // zkv: backups
  BAD_BACKUP_LINE: ExitCode.DATA_ERROR,
  // zkv-server: launches refused, data dirs
  SETTINGS_DIFFER: ExitCode.REFUSED,
  CLUSTER_RUNNING: ExitCode.REFUSED,
  PORT_IN_USE: ExitCode.REFUSED,
  DATA_WOULD_BE_ORPHANED: ExitCode.REFUSED,
  DATA_DIR_LOCKED: ExitCode.CANT_CREATE,
  DATA_DIR_UNUSABLE: ExitCode.CANT_CREATE,
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
