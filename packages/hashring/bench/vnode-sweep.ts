import { ConsistentHashRing, type Placement } from "../src/index.js";
import { mops, opsPerSecond, printTable } from "./measure.js";
import { makeNodes } from "./workload.js";

/**
 * How ring balance depends on virtual nodes: the measurement behind `DEFAULT_VNODES`. One cluster
 * is luck; many clusters (different node ids) show the spread a real deployment can land in.
 */

/** Largest node load divided by the mean load, counting where `keys` land. */
export function maxOverMean(placement: Placement, keys: readonly string[]): number {
  const load = new Map<string, number>();
  for (const key of keys) {
    const owner = placement.locate(key);
    load.set(owner, (load.get(owner) ?? 0) + 1);
  }
  return Math.max(...load.values()) / (keys.length / placement.nodes.length);
}

/** Prints mean / p90 / worst max-over-mean over `clusters` 10-node clusters, per vnode count. */
export function vnodeSweep(counts: readonly number[], clusters: number, keys: readonly string[]): void {
  const rows = counts.map((vnodes) => {
    const ratios = Array.from({ length: clusters }, (_, c) =>
      maxOverMean(new ConsistentHashRing(makeNodes(10, c), { vnodes }), keys),
    ).sort((a, b) => a - b);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const p90 = ratios[Math.floor(ratios.length * 0.9)]!;
    const ring16 = new ConsistentHashRing(makeNodes(16), { vnodes });
    const ring256 = new ConsistentHashRing(makeNodes(256), { vnodes });
    const lookups = opsPerSecond((k) => ring16.locate(k), keys, 200, 3);
    return [
      vnodes,
      mean.toFixed(3),
      p90.toFixed(3),
      ratios.at(-1)!.toFixed(3),
      mops(lookups),
      `${((ring256.tokenCount * 6) / 1024).toFixed(0)} KiB`,
    ];
  });
  printTable(
    ["vnodes", "mean max/mean", "p90", "worst", "ring lookups @16 nodes", "token table @256 nodes"],
    rows,
  );
}
