import {
  type AeHashesRequest,
  type AeKeysRequest,
  type AeRootsRequest,
  ErrorCode,
  type RepairRequest,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import type { AntiEntropy } from "./anti-entropy.js";

/** The anti-entropy requests a node answers. */
export type AntiEntropyRequest = AeRootsRequest | AeHashesRequest | AeKeysRequest | RepairRequest;

/**
 * Answers a peer's AE_ROOTS / AE_HASHES / AE_KEYS from this node's trees, and an operator's
 * REPAIR by comparing with the peer it names. A node that does not replicate answers
 * INVALID_REQUEST, like the other replication ops; one that cannot compare yet (bootstrapping,
 * rebalancing, at another placement epoch) TRY_AGAIN.
 */
export async function antiEntropyOp(
  request: AntiEntropyRequest,
  antiEntropy: AntiEntropy | undefined,
  nodeId: string,
): Promise<Reply> {
  if (antiEntropy === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "this node does not replicate (replication factor 1)", {
      field: "op",
    });
  }
  switch (request.op) {
    case "AE_ROOTS": {
      const roots = await antiEntropy.side(request.peer, request.epoch).roots();
      return { ranges: roots.map((r) => ({ replicas: [...r.replicas], root: r.root })) };
    }
    case "AE_HASHES": {
      const hashes = await antiEntropy.side("", request.epoch).hashes(request.ranges);
      return { ranges: hashes.map((nodes) => ({ nodes })) };
    }
    case "AE_KEYS": {
      const listings = await antiEntropy.side("", request.epoch).keys(request.ranges);
      return {
        ranges: listings.map((l) => ({
          leaves: [...l.leaves],
          entries: l.entries.map(([key, version]) => [key, version] as [string, number]),
        })),
      };
    }
    case "REPAIR": {
      const { more, ...done } = await antiEntropy.repair(request.peer);
      return { node: nodeId, peer: request.peer, ...done, ...(more ? { more: true as const } : {}) };
    }
  }
}
