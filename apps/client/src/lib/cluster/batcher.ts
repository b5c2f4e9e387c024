import {
  type BatchColumns,
  type BatchColumnsReply,
  type BatchReply,
  ErrorCode,
  type ErrorReply,
  encodeBatchColumns,
  errorFromReply,
  MAX_BATCH_OPS,
  type Reply,
  repliesOfColumns,
  ZkvError,
} from "@zkv/protocol";
import type { NodeConnection, OutgoingRequest } from "./node-connection.js";
import { SendQueue } from "./send-queue.js";
import { turnNow } from "./turn-clock.js";

/** A key operation, the only kind a BATCH carries. */
export type KeyOp = Extract<OutgoingRequest, { op: "PUT" | "GET_ONE" | "DELETE" }>;

export interface BatcherOptions {
  /** Most operations per message. Default 1000. */
  readonly maxOps?: number;
  /** Rough cap on a message's size, keys and values counted. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Messages in flight to the node at once; more waits. Default 8. */
  readonly window?: number;
  /** Operations queued beyond the window before callers are made to wait. Default 100,000. */
  readonly maxQueued?: number;
}

/** What #batch answers for a batch of plain PUTs that all succeeded: each gets PUT_OK. */
const ALL_PUTS_DONE = Symbol("every PUT done");
/** A plain PUT's reply (what repliesOfColumns gives each); shared, as nothing changes it. */
const PUT_OK: Reply = Object.freeze({ ok: true as const });

/**
 * True when `reply` acknowledges every op of `columns` and each is a plain PUT: a node answers
 * such a batch `{"done":n}` and nothing else when every write succeeded, so the callers are
 * settled without a reply array or a look for errors (the 50 callers' every round).
 */
function allPutsDone(columns: BatchColumns, reply: BatchColumnsReply): boolean {
  return (
    reply.done === columns.ops.length &&
    columns.values?.length === columns.ops.length &&
    reply.errors === undefined &&
    reply.rows === undefined &&
    reply.values === undefined &&
    reply.deleted === undefined
  );
}

interface Queued {
  readonly op: KeyOp;
  readonly bytes: number;
  readonly deadline: number;
  resolve(reply: Reply): void;
  reject(err: ZkvError): void;
}

/**
 * Coalesces concurrent key operations for one node into BATCH messages: what turns thousands of
 * small calls into a few round trips. Operations issued in the same turn of the event loop (and
 * any that queue while the window is full) go out together, in order, so writes to one key keep
 * their order. A bounded window of messages in flight and a bounded queue give backpressure: past
 * them, `submit` waits. Each operation has its own deadline and its own result or error.
 */
export class Batcher {
  /** Operations waiting to be sent; a sent one is no longer referenced from here. */
  readonly #queue = new SendQueue<Queued>();
  readonly #spaceWaiters: Array<() => void> = [];
  #inFlight = 0;
  #scheduled = false;
  /** The node refused columns (it predates them): send `ops` from then on. */
  #rowsOnly = false;
  readonly #maxOps: number;
  readonly #maxBytes: number;
  readonly #window: number;
  readonly #maxQueued: number;

  constructor(
    private readonly connection: NodeConnection,
    options: BatcherOptions = {},
  ) {
    this.#maxOps = Math.min(options.maxOps ?? 1000, MAX_BATCH_OPS);
    this.#maxBytes = options.maxBytes ?? 1024 * 1024;
    this.#window = options.window ?? 8;
    this.#maxQueued = options.maxQueued ?? 100_000;
  }

  /** Queues one operation; resolves with its reply, rejects with its ZkvError. */
  submit(op: KeyOp, timeoutMs: number): Promise<Reply> {
    // Not async: on the common path (room in the queue) the caller's promise is the one the
    // reply settles, with no wrapper promise and its extra turns per operation.
    if (this.#queued() >= this.#maxQueued) {
      return new Promise<void>((resolve) => this.#spaceWaiters.push(resolve)).then(() =>
        this.submit(op, timeoutMs),
      );
    }
    const deadline = turnNow() + timeoutMs;
    return new Promise<Reply>((resolve, reject) => {
      const bytes = op.key.length + ("value" in op ? op.value.length : 0) + 32;
      this.#queue.push({ op, bytes, deadline, resolve, reject });
      this.#schedule();
    });
  }

  #queued(): number {
    return this.#queue.size;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // nextTick runs once the promise jobs queued now have run: every caller woken by the same
    // reply (their continuations are such jobs) has queued its next operation by then, so they
    // all share one message, and a lone caller is sent without waiting for the event loop.
    process.nextTick(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#queued() > 0 && this.#inFlight < this.#window) {
      const batch = this.#take();
      if (batch.length === 0) continue;
      this.#inFlight++;
      void this.#send(batch).finally(() => {
        this.#inFlight--;
        if (this.#queued() > 0) this.#schedule();
      });
    }
    if (this.#spaceWaiters.length > 0) for (const wake of this.#spaceWaiters.splice(0)) wake();
  }

  /** The next operations to send, dropping (with TIMEOUT) any whose deadline passed in the queue. */
  #take(): Queued[] {
    const now = Date.now();
    const batch: Queued[] = [];
    let bytes = 0;
    while (this.#queued() > 0 && batch.length < this.#maxOps) {
      const next = this.#queue.peek()!;
      if (batch.length > 0 && bytes + next.bytes > this.#maxBytes) break;
      this.#queue.take();
      if (next.deadline <= now) {
        next.reject(
          new ZkvError(ErrorCode.TIMEOUT, `${this.connection.nodeId}: timed out waiting to be sent`),
        );
        continue;
      }
      batch.push(next);
      bytes += next.bytes;
    }
    return batch;
  }

  #send(batch: Queued[]): Promise<void> {
    let deadline = 0;
    for (const q of batch) if (q.deadline > deadline) deadline = q.deadline;
    const timeout = Math.max(1, deadline - Date.now());
    if (batch.length === 1) {
      // Not through an async function: a lone op's reply reaches its caller one promise sooner.
      const [only] = batch as [Queued];
      return this.connection.request(only.op, timeout).then(only.resolve, only.reject);
    }
    return this.#sendMany(batch, timeout);
  }

  async #sendMany(batch: Queued[], timeout: number): Promise<void> {
    const ops = batch.map((q) => q.op);
    let replies: readonly unknown[] | typeof ALL_PUTS_DONE;
    try {
      replies = await this.#batch(ops, timeout);
    } catch (err) {
      for (const q of batch) q.reject(err as ZkvError);
      return;
    }
    if (replies === ALL_PUTS_DONE) {
      for (const q of batch) q.resolve(PUT_OK);
      return;
    }
    batch.forEach((q, i) => {
      const result = replies[i];
      if (typeof result !== "object" || result === null) {
        q.reject(new ZkvError(ErrorCode.INTERNAL, "BATCH reply has a missing or malformed result"));
      } else if ("error" in result) q.reject(errorFromReply(result as ErrorReply));
      else q.resolve(result as Reply);
    });
  }

  /**
   * Sends `ops` as one BATCH and returns the reply each got: in columns (no object per op on the
   * wire), or, to a node that does not know columns (an older zkv, mid-upgrade), one object each.
   */
  async #batch(ops: KeyOp[], timeout: number): Promise<readonly unknown[] | typeof ALL_PUTS_DONE> {
    if (!this.#rowsOnly) {
      const columns = encodeBatchColumns(ops);
      try {
        const reply = (await this.connection.request({ op: "BATCH", columns }, timeout)) as BatchColumnsReply;
        return allPutsDone(columns, reply) ? ALL_PUTS_DONE : repliesOfColumns(columns, reply);
      } catch (err) {
        // An older node requires `ops`: it refuses the whole BATCH, so nothing was applied.
        if (!(err instanceof ZkvError && err.code === ErrorCode.INVALID_REQUEST && err.field === "ops"))
          throw err;
        this.#rowsOnly = true;
      }
    }
    const reply = await this.connection.request({ op: "BATCH", ops }, timeout);
    return (reply as BatchReply).results;
  }
}
