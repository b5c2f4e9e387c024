import {
  acceptsPlainOp,
  type BatchColumns,
  type BatchColumnsReply,
  ColumnsReplyBuilder,
  decodeBatchOp,
  ErrorCode,
  type ErrorReply,
  type Reply,
  toErrorReply,
} from "@zkv/protocol";
import { coordinates } from "../replication/replica-ops.js";
import { type ElementAnswer, elementOf } from "./batch-element.js";
import type { HandlerContext } from "./handler-context.js";
import { applyDelete, applyPut } from "./local-key-ops.js";
import { INVALID_OP } from "./observer.js";
import { replicatedColumns } from "./replicated-columns.js";

/** The op each letter stands for, as metrics name it. */
const OP_OF_LETTER: Readonly<Record<string, string>> = { P: "PUT", G: "GET_ONE", D: "DELETE" };

/**
 * Applies a BATCH in columns, in order, and answers it in columns. Each P, G and D is checked and
 * applied as the element it stands for would be on its own (acceptsPlainOp agrees with the
 * element's validation, applyPut/applyDelete are what a single PUT and DELETE run), without an
 * object, a reply or a metrics call per op; R rows go through `element` whole. With replication
 * the writes are coordinated with the replicas in runs (replicatedColumns), and the reply comes later.
 */
export function batchColumns(
  columns: BatchColumns,
  ctx: HandlerContext,
  element: ElementAnswer,
): BatchColumnsReply | Promise<BatchColumnsReply> {
  if (coordinates(ctx.replication)) return replicatedColumns(columns, ctx, element);
  const { ops, keys = [], values = [], rows = [] } = columns;
  const { store, limits, cluster, metrics } = ctx;
  if (putsFirstAnswered(columns, ctx)) {
    metrics?.count("PUT", "ok", ops.length);
    return { done: ops.length };
  }
  const out = new ColumnsReplyBuilder();
  let k = 0;
  let v = 0;
  let row = 0;
  let puts = 0;
  let found = 0;
  let missing = 0;
  let deletes = 0;
  for (let i = 0; i < ops.length; i++) {
    const letter = ops[i]!;
    if (letter === "R") {
      out.row(element(rows[row++], ctx) as Reply); // no replication: answered at once
      continue;
    }
    const key = keys[k++];
    const value = letter === "P" ? values[v++] : undefined;
    let failure: ErrorReply | undefined;
    let op = OP_OF_LETTER[letter]!;
    if (!acceptsPlainOp(letter, key, value, limits)) {
      failure = refusal(columns, letter, key, value, ctx);
      op = INVALID_OP; // as a BATCH element that does not decode
    } else {
      const decision = cluster?.decide(key as string, undefined, store) ?? "serve";
      if (decision !== "serve") failure = toErrorReply(decision);
    }
    if (failure === undefined) {
      // As handleRequest: a leaving key's deletion moves too (a tombstone).
      const migration = cluster?.migration;
      const leaving = migration?.leaving(key as string) ? migration : undefined;
      try {
        if (letter === "P") {
          applyPut(ctx, key as string, value as string, undefined, leaving);
          puts++;
        } else if (letter === "G") {
          const got = store.get(key as string);
          out.value(got ?? null);
          if (got === undefined) missing++;
          else found++;
        } else {
          out.deleted(applyDelete(store, key as string, leaving));
          deletes++;
        }
        continue;
      } catch (err) {
        failure = toErrorReply(err); // a ZkvError keeps its code (OUT_OF_MEMORY); anything else is INTERNAL
      }
    }
    if (letter === "G") out.value(null);
    else if (letter === "D") out.deleted(false);
    out.error(i, failure);
    metrics?.request(op, failure);
  }
  if (metrics) {
    metrics.count("PUT", "ok", puts);
    metrics.count("GET_ONE", "ok", found);
    metrics.count("GET_ONE", ErrorCode.NOT_FOUND, missing);
    metrics.count("DELETE", "ok", deletes);
  }
  return out.build(ops.length);
}

/**
 * A BATCH of nothing but plain PUTs that will all succeed is answered before its inserts, which
 * run right after the reply is handed to the socket (HandlerContext.afterReply, Store.stagePuts):
 * the client's next message is on its way while they run. True when it was so (staged); false
 * when the batch goes the ordinary way: other ops, a refusal, a key this node does not serve or
 * that is moving, or a memory budget the batch might not fit in (an overwrite grows the data by
 * less than its key and value, so their sum bounds it).
 */
function putsFirstAnswered(columns: BatchColumns, ctx: HandlerContext): boolean {
  const { store, afterReply, cluster, limits, maxBytes } = ctx;
  const { ops, keys, values } = columns;
  if (afterReply === undefined || store.stagePuts === undefined || cluster?.migration !== undefined)
    return false;
  if (
    keys === undefined ||
    values === undefined ||
    keys.length !== ops.length ||
    values.length !== ops.length
  )
    return false;
  let bound = 0;
  for (let i = 0; i < ops.length; i++) {
    const key = keys[i];
    const value = values[i];
    if (ops[i] !== "P" || !acceptsPlainOp("P", key, value, limits)) return false;
    if (cluster !== undefined && cluster.decide(key as string, undefined, store) !== "serve") return false;
    if (maxBytes !== undefined)
      bound += Buffer.byteLength(key as string) + Buffer.byteLength(value as string);
  }
  if (maxBytes !== undefined && store.bytes + bound > maxBytes) return false;
  const inserts = store.stagePuts(keys as string[], values as string[]);
  if (inserts === undefined) return false;
  afterReply(inserts);
  return true;
}

/** Why a P, G or D was refused: the error its element gets from decodeBatchOp. */
function refusal(columns: BatchColumns, letter: string, key: unknown, value: unknown, ctx: HandlerContext) {
  const decoded = decodeBatchOp(elementOf(letter, key, value, columns), ctx.limits);
  return decoded.ok
    ? toErrorReply(new Error("acceptsPlainOp and decodeBatchOp disagree"))
    : toErrorReply(decoded.error);
}
