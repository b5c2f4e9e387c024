/**
 * `@zkv/hashring`: where a key lives. Everything that routes a key (client, rebalancer, server
 * ownership checks) goes through this package, so placement is one exact, deterministic function.
 */

export { createPlacement } from "./create-placement.js";
export {
  DuplicateNodeError,
  EmptyPlacementError,
  InvalidArgumentError,
  InvalidNodeError,
  InvalidWeightError,
  PlacementError,
  type PlacementErrorCode,
  PlacementTooLargeError,
  UnknownNodeError,
} from "./errors.js";
export { hash32, murmur3Bytes } from "./murmur3.js";
export {
  HASHING_MODES,
  type HashingMode,
  type NodeSpec,
  type Placement,
  type PlacementOptions,
} from "./placement.js";
export { planRebalance, type Transfer } from "./rebalance.js";
export { RendezvousHash } from "./rendezvous.js";
export { ConsistentHashRing, DEFAULT_VNODES, type RingArc } from "./ring.js";
export { vnodeLabel } from "./tokens.js";
