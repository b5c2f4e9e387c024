import { AE_TREE_FANOUT } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digest, keyHash } from "../src/anti-entropy/digest.js";
import { EMPTY_NODE, HashTree, STORED_DEPTH } from "../src/anti-entropy/hash-tree.js";
import { addTo, dump, entries } from "./support/hash-trees.js";

describe("HashTree", () => {
  it("trees of equal contents are equal, node by node, whatever the insertion order", () => {
    fc.assert(
      fc.property(entries, fc.func(fc.integer()), (list, order) => {
        const a = new HashTree();
        const b = new HashTree();
        for (const [k, v] of list) addTo(a, k, v);
        const shuffled = [...list].sort((x, y) => order(x[0]) - order(y[0]) || (x[0] < y[0] ? -1 : 1));
        for (const [k, v] of shuffled) addTo(b, k, v);
        expect(dump(b)).toEqual(dump(a));
        expect(a.size).toBe(list.length);
      }),
    );
  });

  it("removing what was added leaves the tree as it was", () => {
    fc.assert(
      fc.property(entries, entries, (kept, passing) => {
        const a = new HashTree();
        const b = new HashTree();
        for (const [k, v] of kept) addTo(a, k, v);
        for (const [k, v] of kept) addTo(b, k, v);
        for (const [k, v] of passing) addTo(b, `x${k}`, v);
        for (const [k, v] of passing) {
          const h = keyHash(`x${k}`);
          b.remove(h.leaf, digest(h.a, v), digest(h.b, v));
        }
        expect(dump(b)).toEqual(dump(a));
      }),
    );
  });

  it("one key at another version changes the root", () => {
    fc.assert(
      fc.property(entries, fc.nat(1_000_000), (list, other) => {
        fc.pre(list.length > 0 && list[0]![1] !== other);
        const a = new HashTree();
        const b = new HashTree();
        for (const [k, v] of list) addTo(a, k, v);
        for (const [k, v] of list.slice(1)) addTo(b, k, v);
        addTo(b, list[0]![0], other);
        expect(b.summary(0, 0)).not.toEqual(a.summary(0, 0));
        expect(b.summary(0, 0)[1]).toBe(a.summary(0, 0)[1]);
      }),
    );
  });

  it("an empty tree's nodes are all the empty summary", () => {
    const tree = new HashTree();
    expect(tree.summary(0, 0)).toEqual(EMPTY_NODE);
    expect(tree.summary(STORED_DEPTH, AE_TREE_FANOUT ** STORED_DEPTH - 1)).toEqual(EMPTY_NODE);
    expect(() => tree.summary(1, AE_TREE_FANOUT)).toThrow(RangeError);
  });
});

describe("digests", () => {
  it("differ for two versions of one key, in both lanes, across the whole 53-bit range", () => {
    fc.assert(
      fc.property(fc.string(), fc.maxSafeNat(), fc.maxSafeNat(), (key, v1, v2) => {
        fc.pre(v1 !== v2);
        const h = keyHash(key);
        expect([digest(h.a, v1), digest(h.b, v1)]).not.toEqual([digest(h.a, v2), digest(h.b, v2)]);
      }),
    );
    // Versions that agree in their low 32 bits (a version is µs since the epoch: 2^32 µs ≈ 72 min).
    const h = keyHash("k");
    expect(digest(h.a, 1_700_000_000_000_000)).not.toBe(digest(h.a, 1_700_000_000_000_000 + 2 ** 32));
  });
});
