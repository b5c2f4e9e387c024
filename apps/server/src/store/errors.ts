/** Why a data dir cannot be used; the CLI maps every one to exit code 73 (EX_CANTCREAT). */
export type DataDirErrorCode = "DATA_DIR_LOCKED" | "DATA_DIR_UNUSABLE";

/**
 * A data dir that cannot be opened: held by another live process (`DATA_DIR_LOCKED`, with its
 * pid), or not creatable, not writable, or not a zkv store (`DATA_DIR_UNUSABLE`, with the cause).
 */
export class DataDirError extends Error {
  override readonly name = "DataDirError";

  constructor(
    readonly code: DataDirErrorCode,
    readonly dir: string,
    message: string,
    options?: { cause?: unknown; readonly pid?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.pid = options?.pid;
  }

  /** With DATA_DIR_LOCKED: the process holding the lock. */
  readonly pid: number | undefined;
}

/**
 * A store used after its close() began: the engine is released (or being released), so nothing is
 * read or written any more, and nothing half-happens: the call throws before it changes anything.
 */
export class StoreClosedError extends Error {
  readonly code = "STORE_CLOSED";
  override readonly name = "StoreClosedError";

  constructor(operation: string) {
    super(`the store is closed: cannot ${operation}`);
  }
}

/**
 * A write to the data dir that failed (disk full, I/O error): of the write-ahead log, an fsync
 * of it, or a snapshot. The store fails every later sync(), and what is on disk stays as it was
 * for the next open. `reason`: the system's code (ENOSPC, EIO) when it gave one.
 */
export class StoreCommitError extends Error {
  readonly code = "STORE_COMMIT_FAILED";
  override readonly name = "StoreCommitError";

  constructor(
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}
