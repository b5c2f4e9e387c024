import {
  ErrorCode,
  type ReplicaGetRequest,
  type ReplicateColumns,
  type ReplicateRequest,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import type { AntiEntropy } from "../anti-entropy/anti-entropy.js";
import { copyOf, type Store } from "../store/index.js";
import type { ReplicaState } from "./bootstrap.js";
import type { ConditionalWrites } from "./conditional.js";
import type { Hints } from "./hints.js";
import type { Replicator } from "./replicator.js";

/** What a node needs to answer its peers' replication requests. */
export interface ReplicaContext {
  readonly replicator: Replicator;
  readonly store: Store;
  /** Compare-and-set and put-if-absent, decided by each key's primary. */
  readonly conditional: ConditionalWrites;
  /** The node's memory budget, checked by the coordinator of a write. */
  readonly maxBytes?: number;
  /** `bootstrapping` until the node holds the copies it should (then `serving`). */
  readonly state: () => ReplicaState;
  /**
   * Whether the cluster keeps more than one copy of each key now (default: yes). A node of a
   * one-copy cluster serves its keys alone (local key ops, rebalanced by fences), until the
   * factor rises.
   */
  readonly active?: () => boolean;
  /** The hints this node, as a coordinator, still has to deliver: for STATS. */
  readonly hints?: Pick<Hints, "pending" | "dropped">;
  /** Members Consul shows passing that this node cannot reach: for STATS. */
  readonly unreachablePeers?: () => string[];
  /** Whether this node replicates `key` in its current view (during a rebalance: now or next). */
  readonly holds: (key: string) => boolean;
  /** Answers AE_ROOTS / AE_HASHES / AE_KEYS and REPAIR. */
  readonly antiEntropy?: AntiEntropy;
}

/**
 * Whether key ops are coordinated with the key's replicas here: the node has replication and the
 * cluster keeps more than one copy now. Every path that answers key ops (single requests, BATCH
 * rows and columns) asks this one question, so a one-copy cluster is served alike by all of them.
 */
export function coordinates(replication: ReplicaContext | undefined): replication is ReplicaContext {
  return replication !== undefined && (replication.active?.() ?? true);
}

/**
 * Answers REPLICATE and REPLICA_GET from a key's coordinator. A bootstrapping node applies the
 * copies and answers reads all the same, but says so: the coordinator must not count it.
 */
export function replicaOp(
  request: ReplicateRequest | ReplicaGetRequest,
  replication: ReplicaContext | undefined,
): Reply {
  if (replication === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "this node does not replicate (replication factor 1)", {
      field: "op",
    });
  }
  const flag = replication.state() === "bootstrapping" ? { bootstrapping: true as const } : {};
  if (request.op === "REPLICATE") {
    // A coordinator still on an older placement may send a key this node was already trimmed
    // of: stored, it would stay outside the key's preference list for good. Refused whole (the
    // reply has no per-key status), so the coordinator counts no ack and keeps a hint instead.
    const entries = request.entries ?? [];
    const columns = request.columns;
    const foreign =
      entries.find((e) => !replication.holds(e.key))?.key ??
      columns?.keys.find((key) => !replication.holds(key));
    if (foreign !== undefined) {
      throw new ZkvError(ErrorCode.WRONG_NODE, `not a replica of "${foreign}" in the current placement`);
    }
    // Copies are applied even past this node's memory budget: the coordinator already checked its
    // own, and a replica that refused would only diverge (see the README, Memory budget).
    const { replicator } = replication;
    for (const e of entries) replicator.applyCopy(e.key, copyOf(e));
    if (columns !== undefined) applyColumns(columns, replicator);
    return { ok: true, ...flag };
  }
  return {
    ...flag,
    entries: request.keys.map((key) => {
      const copy = replication.store.copy(key);
      if (copy === undefined) return { key };
      if (copy.value === undefined) return { key, version: copy.version };
      return copy.expiresAt === undefined
        ? { key, value: copy.value, version: copy.version }
        : { key, value: copy.value, version: copy.version, expiresAt: copy.expiresAt };
    }),
  };
}

/** Applies copies sent in columns (see ReplicateColumnsSchema), each as applyCopy would. */
function applyColumns(c: ReplicateColumns, replicator: Pick<Replicator, "applyCopy">): void {
  const { keys, values, versions, expiresAt } = c;
  for (let i = 0; i < keys.length; i++) {
    const value = values[i] ?? undefined;
    const at = expiresAt?.[i];
    const version = versions[i]!;
    replicator.applyCopy(keys[i]!, at ? { value, version, expiresAt: at } : { value, version });
  }
}
