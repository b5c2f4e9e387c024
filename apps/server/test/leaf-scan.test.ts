import { AE_TREE_DEPTH, AE_TREE_FANOUT, type TreeNodeSummary } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_NODE, STORED_DEPTH } from "../src/anti-entropy/hash-tree.js";
import { leafSummaries, listLeaves } from "../src/anti-entropy/leaf-scan.js";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { MemoryStore } from "../src/store/index.js";
import { entries } from "./support/hash-trees.js";

/** The lanes of a summary as numbers, and its count. */
const lanes = ([hex, count]: TreeNodeSummary) => [
  Number.parseInt(hex.slice(0, 8), 16),
  Number.parseInt(hex.slice(8), 16),
  count,
];

describe("leaves computed by a scan", () => {
  it("add up to their stored parent, and list exactly the parent's keys", async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const placement = { nodes: ["a", "b"], preferenceList: () => ["a", "b"] };
        const trees = new RangeTrees();
        trees.rebuild(0, placement, 2, new MemoryStore());
        const store = new TrackedStore(new MemoryStore(), (k, b, a) => trees.update(k, b, a));
        for (const [k, v] of list) store.apply(k, { value: "x", version: v });
        const tree = trees.tree(["a", "b"]);
        for (let parent = 0; parent < AE_TREE_FANOUT ** STORED_DEPTH; parent++) {
          const stored = tree?.summary(STORED_DEPTH, parent) ?? EMPTY_NODE;
          if (stored[1] === 0) continue;
          const nodes = Array.from({ length: AE_TREE_FANOUT }, (_, c) => parent * AE_TREE_FANOUT + c);
          const [leaves] = await leafSummaries(store, trees, [
            { replicas: ["a", "b"], level: AE_TREE_DEPTH, nodes },
          ]);
          const sum = leaves!
            .map(lanes)
            .reduce((x, y) => [(x[0]! + y[0]!) >>> 0, (x[1]! + y[1]!) >>> 0, x[2]! + y[2]!]);
          expect(sum).toEqual(lanes(stored));
          const [listing] = await listLeaves(store, trees, [{ replicas: ["a", "b"], leaves: nodes }]);
          expect(listing!.leaves).toEqual(nodes);
          expect(listing!.entries).toHaveLength(stored[1]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("lists whole leaves only, the first asked first, when the keys pass the limit", async () => {
    const placement = { nodes: ["a", "b"], preferenceList: () => ["a", "b"] };
    const trees = new RangeTrees();
    trees.rebuild(0, placement, 2, new MemoryStore());
    const store = new TrackedStore(new MemoryStore(), (k, b, a) => trees.update(k, b, a));
    for (let i = 0; i < 2000; i++) store.apply(`k${i}`, { value: "x", version: i + 1 });
    const all = Array.from({ length: 2 ** 15 }, (_, i) => i);
    const limits = { maxKeys: 100, maxBytes: 1 << 20, sliceKeys: 50 };
    const [listing] = await listLeaves(store, trees, [{ replicas: ["a", "b"], leaves: all }], limits);
    expect(listing!.entries.length).toBeLessThanOrEqual(100);
    expect(listing!.leaves).toEqual(all.slice(0, listing!.leaves.length)); // a prefix: whole leaves
    const [full] = await listLeaves(store, trees, [{ replicas: ["a", "b"], leaves: listing!.leaves }]);
    expect(full!.entries).toHaveLength(listing!.entries.length);
  });
});
