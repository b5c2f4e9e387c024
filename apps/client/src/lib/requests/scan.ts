import { ErrorCode, isZkvError, type KeyValue } from "@zkv/protocol";
import type { ClusterView } from "../cluster/cluster-view.js";
import { mergeSorted, uniqueSorted } from "./merge.js";

/** Every entry one node holds, in key order, paged with GET_ALL. */
export async function* scanNode(
  cluster: ClusterView,
  nodeId: string,
  pageSize?: number,
): AsyncGenerator<KeyValue> {
  let cursor: string | undefined;
  do {
    const request = {
      op: "GET_ALL" as const,
      ...(pageSize ? { limit: pageSize } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const reply = (await cluster.nodes.send(nodeId, request)) as { collection: KeyValue[]; cursor?: string };
    yield* reply.collection;
    cursor = reply.cursor;
  } while (cursor !== undefined);
}

/**
 * Every entry in the cluster in key order, each key once: every node that may hold keys paged
 * concurrently and merged. Those are the placement's members (a member Consul does not list
 * right now still holds its keys) and every registered node (a node joining mid-rebalance may
 * already hold some). A listing must not silently leave keys out, so it fails with
 * NODE_UNAVAILABLE once n nodes cannot be read (with n copies of each key, n - 1 missing nodes
 * still leave a copy of every key to list).
 */
export function scanCluster(cluster: ClusterView, pageSize?: number): AsyncGenerator<KeyValue> {
  const ids = new Set([
    ...(cluster.placementRecord?.members ?? []).map((m) => m.id),
    ...cluster.members.map((m) => m.id),
  ]);
  const unreadable: string[] = [];
  const tolerable = cluster.replication.n - 1;
  const sources = [...ids].map((id) => tolerant(scanNode(cluster, id, pageSize), id, unreadable, tolerable));
  return uniqueSorted(
    mergeSorted(sources, (kv) => kv.key),
    (kv) => kv.key,
  );
}

async function* tolerant(
  source: AsyncGenerator<KeyValue>,
  nodeId: string,
  unreadable: string[],
  tolerable: number,
): AsyncGenerator<KeyValue> {
  try {
    yield* source;
  } catch (err) {
    if (!isZkvError(err) || err.code !== ErrorCode.NODE_UNAVAILABLE) throw err;
    unreadable.push(nodeId);
    if (unreadable.length > tolerable) {
      throw Object.assign(err, {
        message: `cannot list every key: ${unreadable.join(", ")} cannot be read (${err.message})`,
      });
    }
  }
}
