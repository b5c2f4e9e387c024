import {
  type BatchRequest,
  decodeBatchOp,
  decodeCursor,
  ErrorCode,
  effectivePageSize,
  encodeCursor,
  type GetAllRequest,
  type KeyValue,
  type Limits,
  type Reply,
  type Request,
  toErrorReply,
  ZkvError,
} from "@zkv/protocol";
import { antiEntropyOp } from "../anti-entropy/ae-ops.js";
import { importEntries, migrateCommit, migrateFetch, migration } from "../cluster/cluster-ops.js";
import type { ClusterView } from "../cluster/ownership.js";
import { type HandoffContext, handoff, trim } from "../replication/handoff.js";
import { type ReplicaContext, replicaOp } from "../replication/replica-ops.js";
import type { Store } from "../store/index.js";
import { localKeyOp } from "./local-key-ops.js";
import { INVALID_OP, type RequestObserver } from "./observer.js";
import { replicatedKeyOp } from "./replicated-key-ops.js";
import { type ClientOutputStats, type MemoryProbe, type NodeCounters, stats } from "./stats.js";

/** What request handling needs to know about the node it runs in. */
export interface HandlerContext {
  readonly nodeId: string;
  readonly store: Store;
  readonly limits: Limits;
  /** Who owns what; without one (unit tests, static clusters) every key is served here. */
  readonly cluster?: ClusterView;
  /** The node's counters, for STATS. */
  readonly counters?: NodeCounters;
  /** The memory of the node's process, for STATS. */
  readonly memory?: MemoryProbe;
  /** Replies the node holds for clients that do not take them, for STATS. */
  readonly output?: ClientOutputStats;
  /**
   * Told of each BATCH element and of keys moved by rebalancing. Single requests are counted by
   * the caller, which alone sees the errors they throw.
   */
  readonly metrics?: RequestObserver;
  /**
   * Set on a node of a managed cluster: coordinates key ops while the cluster replicates (see
   * ReplicaContext.active) and answers the coordinators' REPLICATE / REPLICA_GET.
   */
  readonly replication?: ReplicaContext;
  /** The node's memory budget for `store.bytes` (`--max-memory`); unlimited when absent. */
  readonly maxBytes?: number;
  /** Reclaimed keys leave tombstones (a replicated cluster). */
  readonly keepTombstones?: boolean;
}

/** Room left in a GET_ALL reply for the envelope: `{"collection":[…],"cursor":"…","id":…}`. */
const PAGE_ENVELOPE_BYTES = 512;

/**
 * Applies one decoded request to the store and returns its reply. Pure apart from the store and
 * what the context hands in (the node's counters and memory probe for STATS, its replication), so
 * it is tested without sockets; never throws for a valid request (store failures become INTERNAL
 * in the caller). With replication, key ops are coordinated with the key's other replicas and the
 * reply comes later: a promise, which never rejects.
 */
export function handleRequest(request: Request, ctx: HandlerContext): Reply | Promise<Reply> {
  const id = request.id;
  if ("key" in request) {
    const decision = ctx.cluster?.decide(request.key, request.asking, ctx.store) ?? "serve";
    if (decision !== "serve") return toErrorReply(decision, id);
    if (ctx.replication && (ctx.replication.active?.() ?? true))
      return replicatedKeyOp(request, ctx.replication);
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
      const results = batch(request, ctx);
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
      return withId(trim(request, handoffContext(ctx)), id);
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
 * Applies a BATCH element by element, in order: each is validated and answered exactly as if it
 * had come on its own, so one bad element gets its own error and the others still apply.
 */
function batch(request: BatchRequest, ctx: HandlerContext): Array<Reply | Promise<Reply>> {
  const results: Array<Reply | Promise<Reply>> = new Array(request.ops.length);
  for (let i = 0; i < request.ops.length; i++) {
    const decoded = decodeBatchOp(request.ops[i], ctx.limits);
    const op = decoded.ok ? decoded.request.op : INVALID_OP;
    let result: Reply | Promise<Reply>;
    try {
      result = decoded.ok ? handleRequest(decoded.request, ctx) : toErrorReply(decoded.error, decoded.id);
    } catch (err) {
      result = toErrorReply(err); // a ZkvError keeps its code; anything else becomes INTERNAL
    }
    if (result instanceof Promise) {
      result = result.then((r) => {
        ctx.metrics?.request(op, r);
        return r;
      });
    } else {
      ctx.metrics?.request(op, result);
    }
    results[i] = result;
  }
  return results;
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

/**
 * One GET_ALL page: at most the effective page size in entries and at most a message's worth of
 * bytes, the cursor included; a partial page carries the cursor to continue from. A page always
 * holds at least one entry when any remain, so paging makes progress even past a huge value (such
 * a lone entry is sent even if it and its cursor exceed the byte budget).
 */
export function getAllPage(
  request: GetAllRequest,
  ctx: HandlerContext,
): { collection: KeyValue[]; cursor?: string } {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const maxEntries = effectivePageSize(request, ctx.limits);
  const budget = ctx.limits.maxMessageBytes - PAGE_ENVELOPE_BYTES;
  const collection: KeyValue[] = [];
  let bytes = 0;
  for (const entry of ctx.store.scan(after)) {
    const keyBytes = Buffer.byteLength(JSON.stringify(entry.key));
    const size = keyBytes + Buffer.byteLength(JSON.stringify(entry.value)) + 20;
    // An entry joins only if the page still fits with the cursor that would follow it (a long key
    // makes a cursor of several KiB), so whichever entry ends the page, its cursor has room. The
    // cursor is base64url of `{"v":1,"after":<key JSON>}`: bounded here, encoded only once at the end.
    const cursorBound = Math.ceil(((keyBytes + 16) * 4) / 3) + 4;
    if (collection.length > 0 && (collection.length >= maxEntries || bytes + size + cursorBound > budget)) {
      return { collection, cursor: encodeCursor(collection[collection.length - 1]!.key) };
    }
    collection.push({ key: entry.key, value: entry.value });
    bytes += size;
  }
  return { collection };
}

function withId<T extends object>(reply: T, id: Request["id"]): T {
  return id === undefined ? reply : { ...reply, id };
}
