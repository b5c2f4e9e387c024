/** Exit codes of zkv's commands, so scripts can tell a typo from an outage. */
export const ExitCode = {
  OK: 0,
  /** Something failed at run time (a node would not start, a request failed). */
  FAILURE: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /**
   * The launcher refused: a cluster is already running on these ports or against this Consul, or
   * the flags contradict the cluster's stored placement or settings.
   */
  REFUSED: 4,
  /** Consul (or the cluster) could not be reached (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** The data dir cannot be used: not creatable, not a zkv store, or locked by another node (EX_CANTCREAT). */
  CANT_CREATE: 73,
  /** Consul refused zkv's token: missing, unknown, or its ACL policy lacks a rule (EX_NOPERM). */
  NO_PERMISSION: 77,
  /** A CURVE key or allow-list file is missing or malformed (EX_CONFIG). */
  CONFIG: 78,
} as const;
