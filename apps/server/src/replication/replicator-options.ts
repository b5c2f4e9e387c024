import type { HybridClock, Versioned } from "../store/index.js";
import type { HintsOptions } from "./hints.js";
import type { PeerBatcher } from "./peer-batcher.js";
import type { PeerStates } from "./quorum.js";

/** A replica's store as replication sees it: versioned copies, tombstones included. */
export interface ReplicaStore {
  copy(key: string): Versioned | undefined;
  /** `copy(key)?.version` without building the copy. */
  versionOf(key: string): number | undefined;
  /** Keeps `copy` when it supersedes the copy held; true when it did. */
  apply(key: string, copy: Versioned): boolean;
}

/** One write of a batch: a key's new value (undefined: a deletion) and its expiry. */
export interface BatchWrite {
  readonly key: string;
  readonly value: string | undefined;
  readonly expiresAt?: number | undefined;
}

/** A write that reached its quorum: for a deletion, whether a live value existed before it; its version. */
export interface WriteResult {
  /** A deletion's answer (DELETE says `deleted`); false for a PUT, whose reply does not tell. */
  readonly existed: boolean;
  readonly version: number;
}

/** The cluster's replication settings: factor, and default write and read quorums. */
export interface ReplicationSettings {
  readonly n: number;
  readonly w: number;
  readonly r: number;
}

export interface ReplicatorOptions {
  readonly self: string;
  readonly store: ReplicaStore;
  readonly peers: PeerStates;
  readonly batcher: PeerBatcher;
  /** False while this node bootstraps: its own copy counts toward no quorum (default: serving). */
  readonly serving?: () => boolean;
  /** The key's replicas, in preference order (this node among them). */
  readonly replicasOf: (key: string) => readonly string[];
  /** The replicas a read asks, when not all of them (while the replication factor changes). */
  readonly readReplicasOf?: (key: string) => readonly string[];
  /**
   * During a rebalance, how many of the key's replicas (those of `replicasOf`, or of
   * `readReplicasOf` for a read) only the next placement names; each adds one to the quorum.
   * Default: none.
   */
  readonly gainedReplicasOf?: (key: string, read: boolean) => number;
  /**
   * During a rebalance, the replicas the next placement gives `key`: a write then needs w of them
   * and w of the current placement's, counted apart (see planWrite). Without it, or undefined,
   * w + gained of the two together.
   */
  readonly nextPlacementReplicasOf?: (key: string) => readonly string[] | undefined;
  readonly settings: () => ReplicationSettings;
  readonly timeoutMs: number;
  /** The node's clock (its store's), so every write on the node is versioned by one clock. */
  readonly clock?: HybridClock;
  /** Ms since the epoch, for telling expired copies (default Date.now). */
  readonly now?: () => number;
  /** Where hints are kept, their cap, and what the hints need to know of the cluster. */
  readonly hints?: Omit<HintsOptions, "store" | "peers" | "batcher" | "replicasOf">;
}

/** A write's replicas: the others, who of them is up, and how many must hold it (self included). */
export interface WritePlan {
  readonly others: readonly string[];
  readonly up: readonly string[];
  /** Acknowledgements the write needs, this node's own copy included (it always counts). */
  readonly needed: number;
  /** During a rebalance: the write needs `w` of `current` and `w` of `next`, counted apart. */
  readonly split?: QuorumSplit;
}

/** A key's replicas in the current and the next placement, and the quorum each must give. */
export interface QuorumSplit {
  readonly current: readonly string[];
  readonly next: readonly string[];
  readonly w: number;
}
