import type { WriteLog } from "./write-log.js";

/** A promise with its settlers, for the fsync a group of writes waits for. */
interface Group {
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function group(): Group {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A group whose waiters all went away must not end the process when it fails: the failure
  // reaches the store through fail().
  done.catch(() => {});
  return { done, resolve, reject };
}

/** What LogSyncs needs of its store. */
export interface LogSyncEngine {
  /** Hands the writes appended to the log so far to the OS (BatchWrites.flush). */
  flush(): void;
  /** The store's failure, if any: a flush that failed is one (its writes were never logged). */
  failure(): unknown;
  /** Told of an fsync that failed; the store fails its sync() from then on. */
  fail(err: unknown): void;
}

/**
 * `--fsync always` on top of the write-ahead log, a group commit as Redis' appendfsync always
 * does it: a reply waits for an fdatasync of the log (an append-only file). The writes of an event turn go to
 * the log with one write() at its end and share one fdatasync; one runs at a time, and writes
 * arriving meanwhile wait for the next, which starts as soon as it ends: the busier the node, the
 * more writes share one.
 */
export class LogSyncs {
  /** The log's flush number up to which every write is known to be on disk. */
  #durable = 0;
  /** The fdatasync running, if any, and the flush number it covers. */
  #running: (Group & { readonly upTo: number }) | undefined;
  /** The fdatasync the writes not covered by the running one wait for; undefined when none wait. */
  #next: Group | undefined;
  #queued = false;

  constructor(
    private readonly log: WriteLog,
    private readonly engine: LogSyncEngine,
  ) {}

  /** Resolves once every write appended so far is in the log and fsynced; undefined when it is. */
  sync(): Promise<void> | undefined {
    if (!this.log.dirty) {
      const flushed = this.log.flushed;
      if (flushed <= this.#durable) return undefined;
      if (this.#running !== undefined && this.#running.upTo >= flushed) return this.#running.done;
    }
    this.#next ??= group();
    if (!this.#queued) {
      this.#queued = true;
      setImmediate(this.#turn); // the end of the turn: its writes share the write() and the fsync
    }
    return this.#next.done;
  }

  readonly #turn = (): void => {
    this.#queued = false;
    if (this.#running === undefined && this.#next !== undefined) this.#start();
  };

  /** Flushes the log and fsyncs it, for the writes waiting in #next. */
  #start(): void {
    const waiting = this.#next!;
    this.#next = undefined;
    this.engine.flush();
    const failed = this.engine.failure();
    if (failed !== undefined) {
      waiting.reject(failed);
      return;
    }
    const running = { ...waiting, upTo: this.log.flushed };
    this.#running = running;
    this.log.syncFiles().then(
      () => {
        this.#running = undefined;
        this.#durable = running.upTo;
        running.resolve();
        if (this.#next !== undefined) this.#start(); // writes that came meanwhile: their fsync now
      },
      (err: unknown) => {
        this.#running = undefined;
        running.reject(err);
        this.engine.fail(err);
        this.#next?.reject(err);
        this.#next = undefined;
      },
    );
  }

  /** fsyncs for every write still waiting; resolves once no fsync runs (the log may then close). */
  async close(): Promise<void> {
    while (this.#running !== undefined || this.#next !== undefined) {
      if (this.#running === undefined) this.#start();
      await this.#running?.done.catch(() => {});
    }
  }
}
