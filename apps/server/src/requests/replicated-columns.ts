import {
  acceptsPlainOp,
  type BatchColumns,
  type BatchColumnsReply,
  columnsReplyOf,
  type Reply,
  toErrorReply,
  type ZkvError,
} from "@zkv/protocol";
import type { BatchWrite, WriteResult } from "../replication/replicator.js";
import { checkBudget, growthOf, makeRoom } from "../store/index.js";
import { type ElementAnswer, elementOf } from "./batch-element.js";
import type { HandlerContext } from "./handler-context.js";

const PUT_OK: Reply = Object.freeze({ ok: true as const });
const DELETED: Reply = Object.freeze({ ok: true as const, deleted: true });
const NOT_DELETED: Reply = Object.freeze({ ok: true as const, deleted: false });

/**
 * A BATCH in columns on a replicated node. Each run of valid P and D that this node serves goes
 * to the replicas as one unit (Replicator.writeBatch: one REPLICATE per peer, one quorum wait,
 * one timer), where the same ops sent one by one would each carry their own promise per replica
 * and their own timer. Everything else (G, R rows, and any op refused before it is written) is
 * answered as the request it stands for. A run is cut before each of those, so everything
 * applies in order: a run's writes are applied here when it is cut, before what follows reads.
 */
export function replicatedColumns(
  columns: BatchColumns,
  ctx: HandlerContext,
  element: ElementAnswer,
): Promise<BatchColumnsReply> {
  const replication = ctx.replication!;
  const { ops, keys = [], values = [], rows = [] } = columns;
  const replies = new Array<Reply | undefined>(ops.length);
  const waits: Array<Promise<void>> = [];
  const budget = { store: ctx.store, maxBytes: replication.maxBytes, keepTombstones: true };
  let runAt: number[] = [];
  let run: BatchWrite[] = [];
  const cut = () => {
    if (run.length === 0) return;
    waits.push(answerRun(runAt, replication.replicator.writeBatch(run, columns.w), ops, replies, ctx));
    runAt = [];
    run = [];
  };
  let k = 0;
  let v = 0;
  let row = 0;
  for (let i = 0; i < ops.length; i++) {
    const letter = ops[i]!;
    const key = letter === "R" ? undefined : keys[k++];
    const value = letter === "P" ? values[v++] : undefined;
    const writable =
      (letter === "P" || letter === "D") &&
      acceptsPlainOp(letter, key, value, ctx.limits) &&
      (ctx.cluster?.decide(key as string, undefined, ctx.store) ?? "serve") === "serve";
    if (!writable) {
      cut();
      const reply = element(letter === "R" ? rows[row++] : elementOf(letter, key, value, columns), ctx);
      if (reply instanceof Promise) {
        waits.push(
          reply.then((r) => {
            replies[i] = r;
          }),
        );
      } else replies[i] = reply;
      continue;
    }
    if (letter === "P" && budget.maxBytes !== undefined) {
      // Checked against the bytes the writes before it left, as a PUT alone would be.
      cut();
      try {
        const growth = growthOf(ctx.store, key as string, value as string);
        makeRoom(budget, growth);
        checkBudget(budget, growth);
      } catch (err) {
        replies[i] = toErrorReply(err);
        ctx.metrics?.request("PUT", replies[i]!);
        continue;
      }
    }
    runAt.push(i);
    run.push({ key: key as string, value: value as string | undefined });
  }
  cut();
  return Promise.all(waits).then(() => columnsReplyOf(ops, replies as Reply[]));
}

/** Fills in the replies of one run of writes (at `at` in ops) once the replicas have answered. */
async function answerRun(
  at: readonly number[],
  written: Promise<Array<WriteResult | ZkvError>>,
  ops: string,
  replies: Array<Reply | undefined>,
  ctx: HandlerContext,
): Promise<void> {
  const results = await written;
  let puts = 0;
  let deletes = 0;
  results.forEach((result, j) => {
    const i = at[j]!;
    const op = ops[i] === "P" ? "PUT" : "DELETE";
    if (result instanceof Error) {
      const failure = toErrorReply(result);
      replies[i] = failure;
      ctx.metrics?.request(op, failure);
    } else if (op === "PUT") {
      replies[i] = PUT_OK;
      puts++;
    } else {
      replies[i] = result.existed ? DELETED : NOT_DELETED;
      deletes++;
    }
  });
  ctx.metrics?.count("PUT", "ok", puts);
  ctx.metrics?.count("DELETE", "ok", deletes);
}
