import { decodeBatchOp, ErrorCode, type Reply, type Request, toErrorReply, ZkvError } from "@zkv/protocol";
import { antiEntropyOp } from "../anti-entropy/ae-ops.js";
import { importEntries, migrateCommit, migrateFetch, migration } from "../cluster/cluster-ops.js";
import { type HandoffContext, handoff, trim } from "../replication/handoff.js";
import { coordinates, replicaOp } from "../replication/replica-ops.js";
import { batchColumns } from "./batch-columns.js";
import { pastDeadline } from "./deadline.js";
import { getAllPage } from "./get-all.js";
import type { HandlerContext } from "./handler-context.js";
import { localKeyOp } from "./local-key-ops.js";
import { INVALID_OP } from "./observer.js";
import { replicatedKeyOp } from "./replicated-key-ops.js";
import { stats } from "./stats.js";

export type { HandlerContext };

/**
 * Applies one decoded request to the store and returns its reply. Pure apart from the store and
 * what the context hands in (the node's counters and memory probe for STATS, its replication), so
 * it is tested without sockets; never throws for a valid request (store failures become INTERNAL
 * in the caller). With replication, key ops are coordinated with the key's other replicas and the
 * reply comes later: a promise, which never rejects.
 */
export function handleRequest(request: Request, ctx: HandlerContext): Reply | Promise<Reply> {
  const id = request.id;
  const late = "deadline" in request ? pastDeadline(request.deadline) : undefined;
  if (late) return toErrorReply(late, id);
  if ("key" in request) {
    const decision = ctx.cluster?.decide(request.key, request.asking, ctx.store) ?? "serve";
    if (decision !== "serve") return toErrorReply(decision, id);
    if (coordinates(ctx.replication)) return replicatedKeyOp(request, ctx.replication);
    // While a key waits to move, its deletion must move too: it leaves a tombstone.
    const migration = ctx.cluster?.migration;
    return localKeyOp(request, ctx, migration?.leaving(request.key) ? migration : undefined);
  }
  switch (request.op) {
    case "GET_ALL":
      return withId(getAllPage(request, ctx), id);
    case "PING":
      return withId({ ok: true, node: ctx.nodeId }, id);
    case "BATCH": {
      if (request.columns !== undefined) {
        const reply = batchColumns(request.columns, ctx, answerElement);
        return reply instanceof Promise ? reply.then((r) => withId(r, id)) : withId(reply, id);
      }
      const results = request.ops!.map((element) => answerElement(element, ctx));
      if (!results.some((r) => r instanceof Promise)) return withId({ results: results as Reply[] }, id);
      return Promise.all(results).then((all) => withId({ results: all }, id));
    }
    case "STATS":
      return withId(stats(ctx, request.gc === true), id);
    case "REPLICATE":
    case "REPLICA_GET":
      return withId(replicaOp(request, ctx.replication), id);
    case "REPLICA_HANDOFF":
      return handoff(request, handoffContext(ctx)).then((r) => withId(r, id));
    case "TRIM":
      return trim(request, handoffContext(ctx)).then((r) => withId(r, id));
    case "AE_ROOTS":
    case "AE_HASHES":
    case "AE_KEYS":
    case "REPAIR":
      return antiEntropyOp(request, ctx.replication?.antiEntropy, ctx.nodeId).then((r) => withId(r, id));
    default:
      return withId(clusterOp(request, ctx), id);
  }
}

/**
 * Answers one BATCH element exactly as if it had come on its own (validated, then handled), so a
 * bad element gets its own error and the others still apply; BATCHes apply theirs in order.
 */
function answerElement(element: unknown, ctx: HandlerContext): Reply | Promise<Reply> {
  const decoded = decodeBatchOp(element, ctx.limits);
  const op = decoded.ok ? decoded.request.op : INVALID_OP;
  let result: Reply | Promise<Reply>;
  try {
    result = decoded.ok ? handleRequest(decoded.request, ctx) : toErrorReply(decoded.error, decoded.id);
  } catch (err) {
    result = toErrorReply(err); // a ZkvError keeps its code; anything else becomes INTERNAL
  }
  if (result instanceof Promise) {
    return result.then((r) => {
      ctx.metrics?.request(op, r);
      return r;
    });
  }
  ctx.metrics?.request(op, result);
  return result;
}

function handoffContext(ctx: HandlerContext): HandoffContext {
  if (ctx.cluster === undefined || ctx.replication === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "this node does not replicate (replication factor 1)", {
      field: "op",
    });
  }
  return { ...ctx, cluster: ctx.cluster, replicator: ctx.replication.replicator };
}

function clusterOp(
  request: Extract<Request, { op: "MIGRATION" | "MIGRATE_FETCH" | "MIGRATE_COMMIT" | "IMPORT" }>,
  ctx: HandlerContext,
): Reply {
  if (ctx.cluster === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "this node is not part of a managed cluster", {
      field: "op",
    });
  }
  const clusterCtx = { ...ctx, cluster: ctx.cluster };
  switch (request.op) {
    case "MIGRATION":
      return migration(request, clusterCtx);
    case "MIGRATE_FETCH":
      return migrateFetch(request, clusterCtx);
    case "MIGRATE_COMMIT":
      return migrateCommit(request, clusterCtx);
    case "IMPORT":
      return importEntries(request, clusterCtx);
  }
}

function withId<T extends object>(reply: T, id: Request["id"]): T {
  return id === undefined ? reply : { ...reply, id };
}
