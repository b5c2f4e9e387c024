import { AE_TREE_FANOUT } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EMPTY_NODE } from "../src/anti-entropy/hash-tree.js";
import {
  childrenOf,
  differingNodes,
  differingRanges,
  pickLeaves,
  planRepair,
} from "../src/anti-entropy/tree-diff.js";

describe("tree diff planning", () => {
  it("finds the ranges whose roots differ; a range one side lacks counts as empty there", () => {
    const r = (replicas: string[], root: [string, number]) => ({ replicas, root });
    const { compared, differing } = differingRanges(
      [r(["a", "b"], ["00000000000000aa", 2]), r(["a", "b", "c"], ["00000000000000bb", 1])],
      [r(["a", "b"], ["00000000000000aa", 2]), r(["a", "c"], ["00000000000000cc", 4])],
    );
    expect(compared).toBe(3);
    expect(differing).toEqual([
      { replicas: ["a", "b", "c"], keys: 1 },
      { replicas: ["a", "c"], keys: 4 },
    ]);
  });

  it("descends to the children of differing nodes only", () => {
    expect(childrenOf([0])).toHaveLength(AE_TREE_FANOUT);
    expect(childrenOf([1, 3]).slice(0, 2)).toEqual([AE_TREE_FANOUT, AE_TREE_FANOUT + 1]);
    const same: [string, number] = ["0000000000000001", 1];
    const other: [string, number] = ["0000000000000002", 5];
    expect(differingNodes([7, 8, 9], [same, same, EMPTY_NODE], [same, other, same])).toEqual([
      { index: 8, keys: 5 },
      { index: 9, keys: 1 },
    ]);
  });

  it("lists leaves up to a key budget, always at least one", () => {
    const leaves = (n: number, keys: number) => Array.from({ length: n }, (_, index) => ({ index, keys }));
    expect(pickLeaves([{ replicas: ["a"], leaves: leaves(3, 40) }], 100)).toEqual({
      asks: [{ replicas: ["a"], leaves: [0, 1] }],
      more: true,
    });
    expect(pickLeaves([{ replicas: ["a"], leaves: leaves(1, 500) }], 100).asks).toEqual([
      { replicas: ["a"], leaves: [0] },
    ]);
    expect(pickLeaves([{ replicas: ["a"], leaves: leaves(2, 1) }], 100).more).toBe(false);
  });

  it("sends each differing key to the side with the older version or none, and nothing else", () => {
    const listing = fc.dictionary(fc.string({ maxLength: 3 }), fc.nat(5));
    fc.assert(
      fc.property(listing, listing, (mine, theirs) => {
        const { pull, push } = planRepair(Object.entries(mine), Object.entries(theirs));
        const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
        for (const k of keys) {
          const m = Object.hasOwn(mine, k) ? mine[k] : undefined;
          const t = Object.hasOwn(theirs, k) ? theirs[k] : undefined;
          expect(pull.includes(k)).toBe(t !== undefined && (m === undefined || t > m));
          expect(push.includes(k)).toBe(m !== undefined && (t === undefined || m > t));
        }
        expect(new Set([...pull, ...push]).size).toBe(pull.length + push.length);
      }),
    );
  });
});
