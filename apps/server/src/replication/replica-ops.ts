import {
  ErrorCode,
  type ReplicaGetRequest,
  type ReplicateRequest,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import type { ReplicaStore, Replicator } from "./replicator.js";

/** What a node needs to answer its peers' replication requests. */
export interface ReplicaContext {
  readonly replicator: Replicator;
  readonly store: ReplicaStore;
}

/** Answers REPLICATE and REPLICA_GET from a key's coordinator. */
export function replicaOp(
  request: ReplicateRequest | ReplicaGetRequest,
  replication: ReplicaContext | undefined,
): Reply {
  if (replication === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "this node does not replicate (replication factor 1)", {
      field: "op",
    });
  }
  if (request.op === "REPLICATE") {
    for (const e of request.entries) {
      replication.replicator.applyCopy(e.key, { value: e.value, version: e.version });
    }
    return { ok: true };
  }
  return {
    entries: request.keys.map((key) => {
      const copy = replication.store.copy(key);
      if (copy === undefined) return { key };
      return copy.value === undefined
        ? { key, version: copy.version }
        : { key, value: copy.value, version: copy.version };
    }),
  };
}
