import { LogBuffer, type LogEngine } from "./log-buffer.js";

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
  // A group nobody waited for (a background reclaim's) must not end the process when it fails:
  // the failure reaches the store through fail().
  done.catch(() => {});
  return { done, resolve, reject };
}

/**
 * `--fsync always`'s side of a DurableStore, a group commit: writes are laid out in a LogBuffer
 * (no object per write), LMDB commits those of an event turn at its end, read straight from the
 * buffer, and one fsync at a time makes every commit before it durable. Writes committed while
 * an fsync runs wait for the next one, which starts as soon as it ends: the busier the node, the
 * more writes share an fsync.
 */
export class AlwaysWrites {
  readonly #buffer = new LogBuffer();
  #commitQueued = false;
  /** The fsync running, if any. */
  #syncing: Group | undefined;
  /** The fsync the writes since the last one started wait for; undefined when there are none. */
  #next: Group | undefined;
  /** Writes not committed yet, or committed after the running fsync started. */
  #waiting = false;

  constructor(private readonly engine: LogEngine) {}

  write(table: number, key: Buffer, record: Buffer | undefined): void {
    this.#queue();
    this.#buffer.append(table, key, record);
  }

  /** A value's write to the `data` table, encoded straight into the buffer (LogBuffer.appendValue). */
  writeValue(key: string, value: string, version: number, expiresAt: number | undefined): void {
    this.#queue();
    this.#buffer.appendValue(key, value, version, expiresAt);
  }

  /** Resolves once every write made so far is committed and fsynced; undefined when they are. */
  sync(): Promise<void> | undefined {
    this.#buffer.closeFrame(); // one frame per request: a frame is copied whole when it outgrows its buffer
    if (this.#waiting) {
      this.#next ??= group();
      return this.#next.done;
    }
    return this.#syncing?.done;
  }

  #queue(): void {
    this.#waiting = true;
    if (this.#commitQueued) return;
    this.#commitQueued = true;
    setImmediate(this.#commit);
  }

  /** Commits the turn's writes, and fsyncs them unless an fsync is running (they wait for the next). */
  readonly #commit = (): void => {
    if (!this.#commitQueued) return; // close() came first
    this.#commitQueued = false;
    this.#buffer.closeFrame();
    try {
      this.engine.commit((visit) => this.#buffer.drain(visit));
    } catch (err) {
      this.#failWaiting(err);
      return;
    }
    if (this.#syncing === undefined) this.#startSync();
  };

  #startSync(): void {
    const running = this.#next ?? group();
    this.#next = undefined;
    this.#waiting = false;
    this.#syncing = running;
    this.engine.syncDisk().then(
      () => {
        this.#syncing = undefined;
        running.resolve();
        // Writes committed meanwhile: their fsync now. (Ones not committed yet start it themselves.)
        if (this.#waiting && !this.#commitQueued) this.#startSync();
      },
      (err: unknown) => {
        this.#syncing = undefined;
        running.reject(err);
        this.#failWaiting(err);
      },
    );
  }

  #failWaiting(err: unknown): void {
    this.engine.fail(err);
    this.#next?.reject(err);
    this.#next = undefined;
    this.#waiting = false;
  }

  /** Commits and fsyncs what is left; resolves once no fsync runs (LMDB may then close). */
  async close(): Promise<void> {
    if (this.#commitQueued) this.#commit();
    while (this.#syncing) await this.#syncing.done.catch(() => {});
  }
}
