import type { ClusterView } from "../cluster/ownership.js";

/**
 * A key's replicas as a write or a REPLICATE asks for them, once per key: when the cluster keeps
 * as many copies as it has members and no rebalance is under way, every key's replicas are all
 * the members (a preference list of n >= members names them all), so the answer is the
 * placement's member list, with no ring or HRW lookup (and no array) per key. Otherwise the
 * cluster's own answer. In member order, not preference order: the callers only ask who.
 */
export function keyReplicas(cluster: ClusterView, self: string): (key: string) => readonly string[] {
  return (key) => {
    const placement = cluster.placement;
    if (
      placement !== undefined &&
      cluster.migration === undefined &&
      cluster.replicas >= placement.nodes.length
    ) {
      return placement.nodes;
    }
    return cluster.replicasOf(key) ?? [self];
  };
}
