import { type BatchColumns, type BatchColumnsReply, ErrorCode, type Reply, ZkvError } from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import { routeToOwner } from "./redirects.js";
import { Window } from "./window.js";

/**
 * Per-entry errors of a bulk message that the entry is retried for, on its own, with routing
 * (which also takes NOT_ENOUGH_REPLICAS, nothing written, to another replica that is up).
 */
export const RETRY_SINGLY = new Set<string>([
  ErrorCode.WRONG_NODE,
  ErrorCode.ASK,
  ErrorCode.TRY_AGAIN,
  ErrorCode.NOT_ENOUGH_REPLICAS,
]);

/**
 * What both bulk engines (BulkRun for putMany/getMany, runBulk for ops with options) do with
 * their BATCH messages: each sent straight to its owner once its slots of a bounded window are
 * free; every entry of a message that failed whole (node down, timeout), and each entry a node
 * redirects, tried again on its own with routing; the first failure kept, for `finish()`.
 */
export class BulkMessages {
  readonly #slots: Window;
  readonly #retries: Array<Promise<void>> = [];
  #first: unknown;
  #done = 0;

  /** @param capacity the window's slots; a message takes those `send` is given. */
  constructor(
    private readonly cluster: ClusterView,
    capacity: number,
    private readonly onProgress?: (done: number) => void,
  ) {
    this.#slots = new Window(capacity);
  }

  /** True once an entry failed for good: finish() will reject. */
  get failed(): boolean {
    return this.#first !== undefined;
  }

  /** Keeps `err` if it is the first failure. */
  fail(err: unknown): void {
    this.#first ??= err;
  }

  /**
   * Waits for `slots` of the window, then sends `columns` (`n` entries) to `owner`: `settle` gets
   * the reply, `retryEach` each entry's index if the message failed whole. Resolves once sent;
   * the answer is waited for by finish().
   */
  async send(
    owner: string,
    columns: BatchColumns,
    n: number,
    slots: number,
    settle: (reply: BatchColumnsReply) => void,
    retryEach: (j: number) => void,
  ): Promise<void> {
    await this.#slots.acquire(slots);
    this.cluster.nodes
      .send(owner, { op: "BATCH", columns })
      .then(
        (reply) => settle(reply as BatchColumnsReply),
        (err: unknown) => {
          for (let j = 0; j < n; j++) retryEach(j);
          if (!(err instanceof ZkvError)) this.fail(err);
        },
      )
      .finally(() => {
        this.#slots.release(slots);
        this.#done += n;
        this.onProgress?.(this.#done);
      });
  }

  /**
   * `op` again, alone, through the routing that follows redirects: `answer` gets its reply, or
   * undefined when the key does not exist; any other failure is kept.
   */
  retry(op: KeyOp, answer: (reply: Reply | undefined) => void): void {
    this.#retries.push(
      routeToOwner(this.cluster, op).then(
        ({ reply }) => answer(reply),
        (err: unknown) => {
          if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) answer(undefined);
          else this.fail(err);
        },
      ),
    );
  }

  /** Waits for every message sent and every retry; rejects with the first failure. */
  async finish(): Promise<void> {
    await this.#slots.drain();
    await Promise.all(this.#retries);
    if (this.#first !== undefined) throw this.#first;
  }
}
