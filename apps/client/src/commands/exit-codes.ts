/** Exit codes of the zkv CLI, so scripts can tell a missing key from an outage. */
export const ExitCode = {
  OK: 0,
  /** The command failed (a request was refused, a write timed out). */
  FAILURE: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** `get` of a key that does not exist. */
  NOT_FOUND: 3,
  /** A membership change was refused (unknown node, last node, id exists, another rebalance runs). */
  REFUSED: 4,
  /** A conditional write's condition failed (CONFLICT): the key exists, or is at another version. */
  CONFLICT: 5,
  /** `import` of a file that is not a zkv backup (EX_DATAERR); the error names the line. */
  DATA_ERROR: 65,
  /** Consul or the node that owns the key could not be reached (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** A node refused this client's CURVE key, or Consul refused its token (EX_NOPERM). */
  NO_PERMISSION: 77,
  /** A CURVE key file is missing or malformed (EX_CONFIG). */
  CONFIG: 78,
} as const;

/** Thrown by a command to end with a specific exit code and message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
