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
import { fail, type Outcome, type Settling, succeed } from "./outcome.js";
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

interface Queued extends Settling {
  readonly op: KeyOp;
  readonly bytes: number;
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

  /**
   * Queues one operation; resolves with its reply, rejects with its ZkvError. With `outcome`,
   * resolves with what outcome.answer makes of the reply, or what outcome.recover makes of the
   * failure (timeouts in the queue included).
   */
  submit(op: KeyOp, timeoutMs: number): Promise<Reply>;
  submit<T>(op: KeyOp, timeoutMs: number, outcome: Outcome<T>): Promise<T>;
  submit(op: KeyOp, timeoutMs: number, outcome?: Outcome<unknown>): Promise<unknown> {
    // Not async: on the common path (room in the queue) the caller's promise is the one the
    // reply settles, with no wrapper promise and its extra turns per operation.
    if (this.#queued() >= this.#maxQueued) {
      return new Promise<void>((resolve) => this.#spaceWaiters.push(resolve)).then(() =>
        outcome === undefined ? this.submit(op, timeoutMs) : this.submit(op, timeoutMs, outcome),
      );
    }
    const deadline = turnNow() + timeoutMs;
    return new Promise((resolve, reject) => {
      const bytes = op.key.length + ("value" in op ? op.value.length : 0) + 32;
      this.#queue.push({ op, bytes, deadline, outcome, resolve, reject });
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
        const late = new ZkvError(
          ErrorCode.TIMEOUT,
          `${this.connection.nodeId}: timed out waiting to be sent`,
        );
        fail(next, late, this.connection.nodeId);
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
      const node = this.connection.nodeId;
      return this.connection.request(only.op, timeout).then(
        (reply) => succeed(only, reply, node),
        (err: unknown) => fail(only, err, node),
      );
    }
    return this.#sendMany(batch, timeout);
  }

  /**
   * Sends `batch` as one BATCH and settles each op with its result: in columns (no object per op
   * on the wire), or, to a node that does not know columns (an older zkv, mid-upgrade), one
   * object each. Not async: the reply settles the ops in the promise job that delivers it, with
   * no further turns (50 callers wait on every round).
   */
  #sendMany(batch: Queued[], timeout: number): Promise<void> {
    const ops = batch.map((q) => q.op);
    const node = this.connection.nodeId;
    if (this.#rowsOnly) return this.#sendRows(batch, ops, timeout);
    const columns = encodeBatchColumns(ops);
    return this.connection.request({ op: "BATCH", columns }, timeout).then(
      (reply) => {
        const done = reply as BatchColumnsReply;
        if (allPutsDone(columns, done)) {
          for (const q of batch) succeed(q, PUT_OK, node);
          return;
        }
        let replies: readonly unknown[];
        try {
          replies = repliesOfColumns(columns, done);
        } catch (err) {
          for (const q of batch) fail(q, err, node);
          return;
        }
        this.#settleEach(batch, replies);
      },
      (err: unknown) => {
        // An older node requires `ops`: it refuses the whole BATCH, so nothing was applied.
        if (err instanceof ZkvError && err.code === ErrorCode.INVALID_REQUEST && err.field === "ops") {
          this.#rowsOnly = true;
          return this.#sendRows(batch, ops, timeout);
        }
        for (const q of batch) fail(q, err, node);
      },
    );
  }

  /** `batch` as a BATCH of one object per op, for a node that predates columns. */
  #sendRows(batch: Queued[], ops: KeyOp[], timeout: number): Promise<void> {
    return this.connection.request({ op: "BATCH", ops }, timeout).then(
      (reply) => this.#settleEach(batch, (reply as BatchReply).results),
      (err: unknown) => {
        for (const q of batch) fail(q, err, this.connection.nodeId);
      },
    );
  }

  /** Settles each op of `batch` with its own result in `replies`: an error reply rejects it. */
  #settleEach(batch: Queued[], replies: readonly unknown[]): void {
    const node = this.connection.nodeId;
    batch.forEach((q, i) => {
      const result = replies[i];
      if (typeof result !== "object" || result === null) {
        fail(q, new ZkvError(ErrorCode.INTERNAL, "BATCH reply has a missing or malformed result"), node);
      } else if ("error" in result) fail(q, errorFromReply(result as ErrorReply), node);
      else succeed(q, result as Reply, node);
    });
  }
}
