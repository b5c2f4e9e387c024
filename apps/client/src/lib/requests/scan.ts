import { ErrorCode, type GetAllReply, isZkvError, type KeyValue } from "@zkv/protocol";
import type { ClusterView } from "../cluster/cluster-view.js";
import { groupSortedPages, mergeSorted, uniqueSorted } from "./merge.js";

/** An entry as GET_ALL lists it; `versions: true` adds its version and expiry. */
export type ListedEntry = GetAllReply["collection"][number];

/** Every entry one node holds, in key order, paged with GET_ALL (with versions when asked). */
export async function* scanNode(
  cluster: ClusterView,
  nodeId: string,
  pageSize?: number,
  versions = false,
): AsyncGenerator<ListedEntry> {
  for await (const page of scanNodePages(cluster, nodeId, pageSize, versions)) yield* page;
}

/** scanNode a page at a time. */
async function* scanNodePages(
  cluster: ClusterView,
  nodeId: string,
  pageSize: number | undefined,
  versions: boolean,
): AsyncGenerator<ListedEntry[]> {
  let cursor: string | undefined;
  do {
    const request = {
      op: "GET_ALL" as const,
      ...(pageSize ? { limit: pageSize } : {}),
      ...(cursor ? { cursor } : {}),
      ...(versions ? { versions } : {}),
    };
    const reply = (await cluster.nodes.send(nodeId, request)) as Omit<GetAllReply, "id">;
    yield reply.collection;
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
  return uniqueSorted(
    mergeSorted(
      scanEveryNode(cluster, (id) => scanNode(cluster, id, pageSize)),
      (kv) => kv.key,
    ),
    (kv) => kv.key,
  );
}

/** One node's copy of a key, with its version when the node gave one. */
export interface NodeCopy extends ListedEntry {
  readonly node: string;
}

/** A key and every node's copy of it, as the nodes listed them. */
export interface KeyCopies {
  readonly key: string;
  readonly copies: readonly NodeCopy[];
}

/**
 * Every key in the cluster in key order, once, with the copy each node listed (versions
 * included), a batch of keys at a time: what an export needs to tell keys whose replicas agree
 * from those that need a quorum read. Reads the same nodes, and fails the same way, as scanCluster.
 */
export async function* scanCopies(cluster: ClusterView, pageSize?: number): AsyncGenerator<KeyCopies[]> {
  const sources = scanEveryNode(cluster, (id) => tagged(scanNodePages(cluster, id, pageSize, true), id));
  for await (const groups of groupSortedPages(sources, (c) => c.key)) {
    yield groups.map((copies) => ({ key: copies[0]!.key, copies }));
  }
}

/**
 * One source per node that may hold keys: the placement's members (a member Consul does not list
 * right now still holds its keys) and every registered node (a node joining mid-rebalance may
 * already hold some); up to n - 1 of them may fail to be read (see scanCluster).
 */
function scanEveryNode<T>(
  cluster: ClusterView,
  scan: (nodeId: string) => AsyncGenerator<T>,
): AsyncGenerator<T>[] {
  const ids = new Set([
    ...(cluster.placementRecord?.members ?? []).map((m) => m.id),
    ...cluster.members.map((m) => m.id),
  ]);
  const unreadable: string[] = [];
  const tolerable = cluster.replication.n - 1;
  return [...ids].map((id) => tolerant(scan(id), id, unreadable, tolerable));
}

async function* tagged(source: AsyncGenerator<ListedEntry[]>, node: string): AsyncGenerator<NodeCopy[]> {
  for await (const page of source) {
    for (const entry of page) (entry as { node?: string }).node = node;
    yield page as NodeCopy[];
  }
}

async function* tolerant<T>(
  source: AsyncGenerator<T>,
  nodeId: string,
  unreadable: string[],
  tolerable: number,
): AsyncGenerator<T> {
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
