import { InvalidArgumentError } from "./errors.js";
import type { HashingMode, NodeSpec, Placement, PlacementOptions } from "./placement.js";
import { RendezvousHash } from "./rendezvous.js";
import { ConsistentHashRing } from "./ring.js";

/**
 * Builds the placement named by a cluster setting. The algorithm is stored as a string (in Consul),
 * so an unknown name is reported as `InvalidArgumentError` rather than trusted.
 */
export function createPlacement(
  algorithm: HashingMode,
  nodes: readonly NodeSpec[],
  options?: PlacementOptions,
): Placement {
  switch (algorithm) {
    case "ring":
      return new ConsistentHashRing(nodes, options);
    case "hrw":
      return new RendezvousHash(nodes, options);
    default:
      throw new InvalidArgumentError(`unknown placement algorithm ${JSON.stringify(algorithm)}`);
  }
}
