import { LogBuffer, type LogEngine } from "./log-buffer.js";

/** What AlwaysWrites needs of its store. */
export type AlwaysEngine = Pick<LogEngine, "commitDurably" | "fail">;

/** A promise with its settlers, for the commit a group of writes waits for. */
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
 * (no object per write), and at the end of their event turn LMDB commits them in one
 * transaction, read straight from the buffer, and fsyncs it before the commit returns; every
 * write of the turn then counts as durable. Messages that arrive meanwhile wait in the socket
 * and make the next group: the busier the node, the more writes share an fsync. (Before, the
 * fsync was asked of libuv's pool after the commit; but LMDB had already fsynced inside the
 * commit, on this thread, so that was a hop between threads per group for nothing.)
 */
export class AlwaysWrites {
  readonly #buffer = new LogBuffer();
  #commitQueued = false;
  /** What the writes not committed yet wait for; made by the first sync() that asks. */
  #next: Group | undefined;

  constructor(private readonly engine: AlwaysEngine) {}

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
    if (!this.#commitQueued) return undefined;
    this.#next ??= group();
    return this.#next.done;
  }

  #queue(): void {
    if (this.#commitQueued) return;
    this.#commitQueued = true;
    setImmediate(this.#commit);
  }

  /** Commits and fsyncs the writes made since the last commit, then settles what waits for them. */
  readonly #commit = (): void => {
    if (!this.#commitQueued) return; // close() came first
    this.#commitQueued = false;
    const waiting = this.#next;
    this.#next = undefined;
    this.#buffer.closeFrame();
    try {
      this.engine.commitDurably((visit) => this.#buffer.drain(visit));
    } catch (err) {
      this.engine.fail(err);
      waiting?.reject(err);
      return;
    }
    waiting?.resolve();
  };

  /** Commits and fsyncs what is left (LMDB may then close). */
  async close(): Promise<void> {
    if (this.#commitQueued) this.#commit();
  }
}
