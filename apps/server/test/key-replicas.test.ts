import { createPlacement } from "@zkv/hashring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import { keyReplicas } from "../src/replication/key-replicas.js";

const setting = (n: number) => ({ n, w: 2, readN: n, r: 2, nextN: n, tag: "t", changing: false });

/** The cluster's own answer and keyReplicas', as sets, for `key`. */
function both(cluster: ClusterView, key: string) {
  return {
    cluster: [...(cluster.replicasOf(key) ?? ["self"])].sort(),
    ours: [...keyReplicas(cluster, "a")(key)].sort(),
  };
}

describe("keyReplicas", () => {
  it("names the same replicas as the cluster's view for every key, n below, at or above the members", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("ring" as const, "hrw" as const),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 20 }),
        (mode, n, keys) => {
          const cluster = new ClusterView("a");
          cluster.setPlacement(1, createPlacement(mode, ["a", "b", "c"]));
          cluster.setReplication(setting(n));
          for (const key of keys) {
            const { cluster: theirs, ours } = both(cluster, key);
            expect(ours).toEqual(theirs);
          }
        },
      ),
    );
  });

  it("during a rebalance, the current and the next replicas, as the cluster says", () => {
    const cluster = new ClusterView("a");
    const now = createPlacement("ring", ["a", "b", "c"]);
    cluster.setReplication(setting(3));
    cluster.beginMigration("run-1", 2, now, createPlacement("ring", ["a", "b", "c", "d"]));
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    for (const key of keys) expect(keyReplicas(cluster, "a")(key)).toEqual(cluster.replicasOf(key));
    // Some key gains d as a replica: the answer is not just the three current members.
    expect(keys.some((key) => keyReplicas(cluster, "a")(key).includes("d"))).toBe(true);
  });

  it("without a placement, this node alone", () => {
    expect(keyReplicas(new ClusterView("a"), "a")("k")).toEqual(["a"]);
  });
});
