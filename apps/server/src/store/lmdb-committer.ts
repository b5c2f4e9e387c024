import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { LogEngine } from "./batch-writes.js";
import { StoreCommitError } from "./errors.js";

/** What the main thread asks of the commit worker: a commit of `frames`, or (none) to close. */
export type CommitRequest = { frames: Uint8Array; applied: number } | { frames?: undefined };
/** The worker's answer to one commit, in the order asked. */
export type CommitReply = { committed: number } | { error: { message: string; code?: string } };

/**
 * Commits the write-ahead log's frames to LMDB on a worker thread of its own
 * (lmdb-commit-worker.ts): a commit's puts and its fsync cost the main thread nothing but a copy
 * of the frames, which are handed over (transferred, not cloned). Commits are answered in order;
 * once one fails, or the worker dies, every later one is refused with the same error.
 */
export class LmdbCommitter implements LogEngine {
  readonly #worker: Worker;
  readonly #waiting: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  #exited = false;

  /** `fail`: what BatchWrites tells of a commit that failed (the store's failure). */
  constructor(
    dir: string,
    readonly fail: (err: unknown) => void,
  ) {
    this.#worker = startWorker(dir);
    this.#worker.unref(); // kept alive only while a commit is under way: see commit()
    this.#worker.on("message", (reply: CommitReply) => this.#answer(reply));
    // The worker threw (it could not load, or open LMDB): the one error class, its cause kept.
    this.#worker.on("error", (err) => {
      const failure = new StoreCommitError(`the LMDB commit worker failed: ${err.message}`);
      failure.cause = err;
      this.#stop(failure);
    });
    this.#worker.on("exit", (code) => {
      this.#exited = true;
      this.#stop(new StoreCommitError(`the LMDB commit worker exited (code ${code})`));
    });
  }

  commit(frames: Buffer, applied: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closing !== undefined)
      return Promise.reject(new StoreCommitError("the LMDB committer is closed"));
    return new Promise((resolve, reject) => {
      if (this.#waiting.push({ resolve, reject }) === 1) this.#worker.ref();
      const request: CommitRequest = { frames, applied };
      this.#worker.postMessage(request, [frames.buffer as ArrayBuffer]);
    });
  }

  /** Lets the commits asked so far finish, then stops the worker (it closes its handle on LMDB); idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#exited) return resolve();
      this.#worker.once("exit", () => resolve());
      this.#worker.ref();
      const request: CommitRequest = {};
      this.#worker.postMessage(request);
    });
    return this.#closing;
  }

  #answer(reply: CommitReply): void {
    const waiting = this.#waiting.shift();
    if (this.#waiting.length === 0 && this.#closing === undefined) this.#worker.unref();
    if ("committed" in reply) {
      waiting?.resolve();
      return;
    }
    const err = new StoreCommitError(reply.error.message, reply.error.code);
    this.#stop(err);
    waiting?.reject(err);
  }

  /** From now on every commit is refused with `err` (BatchWrites tells the store, once, through fail). */
  #stop(err: Error): void {
    this.#failure ??= err;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(this.#failure);
  }
}

/**
 * The worker runs the same code as this module: its .js when built; its .ts from source (tsx,
 * vitest) through tsx's tsImport, as an entry module given to the worker does not go through
 * hooks the worker inherits (Node 20).
 */
function startWorker(dir: string): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./lmdb-commit-worker.js", import.meta.url), { workerData: { dir } });
  const worker = JSON.stringify(new URL("./lmdb-commit-worker.ts", import.meta.url).href);
  const tsx = JSON.stringify(tsxApi());
  const load = `import(${tsx}).then(({ tsImport }) => tsImport(${worker}, ${worker}))`;
  return new Worker(load, { eval: true, workerData: { dir } });
}

/** tsx's ESM API (its `tsx/esm/api` for `import`), found from this package. */
function tsxApi(): string {
  const manifest = createRequire(import.meta.url).resolve("tsx/package.json");
  return pathToFileURL(join(dirname(manifest), "dist/esm/api/index.mjs")).href;
}
