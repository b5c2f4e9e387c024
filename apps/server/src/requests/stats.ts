import type { StatsReply } from "@zkv/protocol";
import type { ReplicaContext } from "../replication/replica-ops.js";
import type { Store } from "../store/index.js";

/** What STATS and /metrics report about replies clients leave unread. */
export interface ClientOutputStats {
  /** Bytes of replies the node holds because their clients' ZeroMQ queues are full (all clients). */
  readonly queuedBytes: number;
  /** The most one client has had held at once since start; never above the limit. */
  readonly maxQueuedBytes: number;
  /** Clients dropped for leaving more than the limit unread. */
  readonly dropped: number;
}

/** The node's own counters, for STATS. */
export interface NodeCounters {
  /** Requests answered since start, errors included. */
  readonly opsServed: number;
  readonly uptimeSeconds: number;
}

/**
 * Reads the memory of the process a node runs in. Injected by the node (node/memory-probe.ts), so
 * request handling itself does no I/O beyond the store.
 */
export interface MemoryProbe {
  /** V8 heap in use and resident set, in bytes; `collectFirst`: a full GC first, where allowed. */
  read(collectFirst: boolean): { readonly heapUsedBytes: number; readonly rssBytes: number };
}

/** What STATS reads; a node's HandlerContext. */
export interface StatsContext {
  readonly nodeId: string;
  readonly store: Pick<Store, "size" | "bytes">;
  /** Without them (unit tests) STATS reports zeros. */
  readonly counters?: NodeCounters;
  readonly memory?: MemoryProbe;
  readonly output?: ClientOutputStats;
  readonly maxBytes?: number;
  readonly replication?: Pick<ReplicaContext, "state" | "hints" | "unreachablePeers">;
}

/** STATS: what the node holds and has done. `collectFirst` (STATS `gc`): measure live data only. */
export function stats(ctx: StatsContext, collectFirst: boolean): Omit<StatsReply, "id"> {
  const memory = ctx.memory?.read(collectFirst) ?? { heapUsedBytes: 0, rssBytes: 0 };
  return {
    node: ctx.nodeId,
    keys: ctx.store.size,
    bytes: ctx.store.bytes,
    opsServed: ctx.counters?.opsServed ?? 0,
    uptimeSeconds: ctx.counters?.uptimeSeconds ?? 0,
    heapUsedBytes: memory.heapUsedBytes,
    rssBytes: memory.rssBytes,
    ...(ctx.maxBytes === undefined ? {} : { maxBytes: ctx.maxBytes }),
    ...(ctx.output
      ? {
          replyQueueBytes: ctx.output.queuedBytes,
          replyQueueMaxBytes: ctx.output.maxQueuedBytes,
          clientsDropped: ctx.output.dropped,
        }
      : {}),
    ...(ctx.replication ? { state: ctx.replication.state() } : {}),
    ...(ctx.replication?.hints
      ? { hints: ctx.replication.hints.pending(), hintsDropped: ctx.replication.hints.dropped }
      : {}),
    ...(ctx.replication?.unreachablePeers ? { unreachablePeers: ctx.replication.unreachablePeers() } : {}),
  };
}
