import type { Limits } from "@zkv/protocol";
import type { ClusterView } from "../cluster/ownership.js";
import type { ReplicaContext } from "../replication/replica-ops.js";
import type { Store } from "../store/index.js";
import type { RequestObserver } from "./observer.js";
import type { ClientOutputStats, MemoryProbe, NodeCounters } from "./stats.js";

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
  /**
   * Takes work to run right after this request's reply is handed to the socket, in the same
   * turn (the serve loop's DeferredWrites): a BATCH of plain PUTs answers before its inserts
   * (Store.stagePuts). Absent (unit tests calling handleRequest): everything is applied first.
   */
  readonly afterReply?: (work: () => void) => void;
}
