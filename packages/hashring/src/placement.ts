/**
 * The contract every placement algorithm satisfies, so the client, the rebalancer and the server's
 * ownership checks can route keys without knowing (or caring) which algorithm the cluster runs.
 */

/** A node is known by a stable id (`node-3`, `host:port`), never by its position in a list. */
export type NodeSpec = string | { readonly id: string; readonly weight?: number };

/**
 * The placement algorithms, by the names a cluster's settings store (Consul KV `zkv/hashing`), the
 * wire carries (a placement spec's `hashing`) and the command lines take (`--hashing`). Defined
 * here, in the package that implements them; protocol and membership derive their types from it.
 */
export const HASHING_MODES = ["ring", "hrw"] as const;

/** One of {@link HASHING_MODES}. */
export type HashingMode = (typeof HASHING_MODES)[number];

/** Options shared by both algorithms. */
export interface PlacementOptions {
  /**
   * Ring only: virtual nodes per unit of weight (default {@link DEFAULT_VNODES}). HRW needs none,
   * and ignores it.
   */
  readonly vnodes?: number;
  /**
   * Replaces the key hash (default `hash32`, MurmurHash3 of the UTF-8 bytes). Exists so tests can
   * inject a trivial hash and check a placement by hand; production code should keep the default,
   * since every process must use the same function. Must return an unsigned 32-bit integer (the
   * result is coerced with `>>> 0`).
   */
  readonly hash?: (key: string) => number;
}

/**
 * An immutable assignment of keys to nodes. Immutable so a routing table can be swapped atomically
 * (build the next one, then replace a reference) and compared with the previous one by
 * `planRebalance`.
 */
export interface Placement {
  /** Which algorithm this is, so it can be stored and rebuilt elsewhere with `createPlacement`. */
  readonly algorithm: HashingMode;
  /** Node ids, sorted by UTF-16 code units; the order never affects placement. */
  readonly nodes: readonly string[];
  /** The node that owns `key`. Throws `EmptyPlacementError` when there are no nodes. */
  locate(key: string): string;
  /**
   * The first `n` distinct nodes responsible for `key`, in preference order (the first is
   * `locate(key)`): the replica set. When `n` exceeds the node count, every node is returned.
   * Throws `EmptyPlacementError` when there are no nodes and `InvalidArgumentError` when `n` is
   * not a non-negative integer.
   */
  preferenceList(key: string, n: number): string[];
  /** The node's weight (1 when it was given as a bare id). Throws `UnknownNodeError`. */
  weightOf(id: string): number;
  /** A new placement with one more node. Throws `DuplicateNodeError` if its id is present. */
  withNode(node: NodeSpec): Placement;
  /** A new placement without the node. Throws `UnknownNodeError` if it is absent. */
  withoutNode(id: string): Placement;
}
