import { createPlacement } from "@zkv/hashring";
import { AE_TREE_DEPTH, AE_TREE_FANOUT, type TreeNodeSummary } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digest, keyHash } from "../src/anti-entropy/digest.js";
import { EMPTY_NODE, HashTree, STORED_DEPTH } from "../src/anti-entropy/hash-tree.js";
import { leafSummaries, listLeaves } from "../src/anti-entropy/leaf-scan.js";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import {
  childrenOf,
  differingNodes,
  differingRanges,
  pickLeaves,
  planRepair,
} from "../src/anti-entropy/tree-diff.js";
import { MemoryStore } from "../src/store/index.js";

/** Adds `key` at `version` to a bare tree, as RangeTrees does. */
function addTo(tree: HashTree, key: string, version: number): void {
  const h = keyHash(key);
  tree.add(h.leaf, digest(h.a, version), digest(h.b, version));
}

/** Every stored node of a tree, level by level: two trees with equal dumps are equal. */
function dump(tree: HashTree): string[] {
  const out: string[] = [];
  for (let level = 0; level <= STORED_DEPTH; level++) {
    for (let i = 0; i < AE_TREE_FANOUT ** level; i++) out.push(tree.summary(level, i).join(":"));
  }
  return out;
}

const entries = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), fc.nat(1_000_000)), {
  selector: ([key]) => key,
  maxLength: 60,
});

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

describe("RangeTrees over a TrackedStore", () => {
  const ops = fc.array(
    fc.tuple(
      fc.constantFrom("put", "apply", "tombstone", "drop", "delete", "reclaim"),
      fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6"),
      fc.nat(50),
    ),
    { maxLength: 40 },
  );

  it("kept write by write, the trees equal trees rebuilt from the store", () => {
    fc.assert(
      fc.property(ops, (list) => {
        let now = 1_000;
        const placement = {
          nodes: ["a", "b", "c"],
          preferenceList: (key: string) => (key < "k4" ? ["b", "a"] : ["a", "c"]),
        };
        const trees = new RangeTrees();
        trees.rebuild(0, placement, 2, new MemoryStore());
        const store = new TrackedStore(new MemoryStore({ now: () => now }), (k, b, a) =>
          trees.update(k, b, a),
        );
        for (const [op, key, v] of list) {
          now += 10;
          if (op === "put") store.put(key, `v${v}`, v % 3 === 0 ? now + 5 : undefined);
          else if (op === "apply") store.apply(key, { value: `v${v}`, version: v * 1000 });
          else if (op === "tombstone") store.apply(key, { value: undefined, version: v * 1000 + 1 });
          else if (op === "drop") store.drop(key);
          else if (op === "delete") store.delete(key);
          else store.reclaim(10, false);
        }
        const rebuilt = new RangeTrees();
        rebuilt.rebuild(0, placement, 2, store);
        for (const replicas of [
          ["a", "b"],
          ["a", "c"],
        ]) {
          const kept = trees.tree(replicas);
          const fresh = rebuilt.tree(replicas);
          expect(kept === undefined ? undefined : dump(kept)).toEqual(
            fresh === undefined ? undefined : dump(fresh),
          );
        }
      }),
    );
  });
});

describe("RangeTrees rebuilt a slice at a time", () => {
  const placement = {
    nodes: ["a", "b", "c"],
    preferenceList: (key: string) => (key < "k2" ? ["b", "a"] : ["a", "c"]),
  };
  const key = fc.integer({ min: 0, max: 39 }).map((i) => `k${i}`);
  const op = fc.oneof(
    fc.tuple(
      fc.constantFrom("put", "expiring", "apply", "tombstone", "drop", "delete", "reclaim"),
      key,
      fc.nat(50),
    ),
    // Slices the build takes before the next write: each lists one key, or adds one region.
    fc.tuple(fc.constant("step"), fc.constant(""), fc.oneof(fc.nat(40), fc.nat(400))),
  );

  it("end equal to trees built in one go from the final store, whatever writes come between the slices", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 30 }),
        fc.array(op, { maxLength: 60 }),
        (initial, list) => {
          let now = 1_000;
          const trees = new RangeTrees();
          const inner = new MemoryStore({ now: () => now });
          for (const [i, k] of initial.entries()) inner.apply(k, { value: "v0", version: 100 + i });
          const store = new TrackedStore(inner, (k, b, a) => trees.update(k, b, a));
          trees.beginRebuild(3, placement, 2, store, 1);
          expect(trees.epoch).toBe(-1); // nothing to compare until it is done
          for (const [kind, k, v] of list) {
            now += 10;
            if (kind === "step") for (let i = 0; i <= v; i++) trees.stepRebuild(store, 0);
            else if (kind === "put") store.put(k, `v${v}`);
            else if (kind === "apply") store.apply(k, { value: `v${v}`, version: v * 1000 });
            else if (kind === "tombstone") store.apply(k, { value: undefined, version: v * 1000 + 1 });
            else if (kind === "drop") store.drop(k);
            else store.delete(k);
          }
          expect(trees.stepRebuild(store, Number.POSITIVE_INFINITY)).toBe(true);
          expect(trees.epoch).toBe(3);
          const fresh = new RangeTrees();
          fresh.rebuild(3, placement, 2, store);
          for (const replicas of [
            ["a", "b"],
            ["a", "c"],
          ]) {
            const built = trees.tree(replicas);
            const once = fresh.tree(replicas);
            expect(built === undefined ? undefined : dump(built)).toEqual(
              once === undefined ? undefined : dump(once),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("RangeTrees rebuilt a slice at a time, one case", () => {
  it("adds a key once when the listing meets it twice (it expired into a tombstone meanwhile)", () => {
    let now = 1_000;
    const placement = { nodes: ["a", "b"], preferenceList: () => ["a", "b"] };
    const trees = new RangeTrees();
    const store = new TrackedStore(new MemoryStore({ now: () => now }), (k, b, a) => trees.update(k, b, a));
    store.put("k", "v", now + 5);
    trees.beginRebuild(1, placement, 2, store, 1);
    trees.stepRebuild(store, 0); // lists "k" among the live keys
    now += 10;
    expect(store.reclaim(10, false)).toBe(1); // a tombstone at the same version: no write, nothing noted
    expect(trees.stepRebuild(store, Number.POSITIVE_INFINITY)).toBe(true); // lists "k" again
    const fresh = new RangeTrees();
    fresh.rebuild(1, placement, 2, store);
    expect(dump(trees.tree(["a", "b"])!)).toEqual(dump(fresh.tree(["a", "b"])!));
    expect(trees.tree(["a", "b"])!.size).toBe(1);
  });
});

describe("ranges when n covers every member", () => {
  it("put each key in the range its preference list names: the one of all members", () => {
    for (const mode of ["ring", "hrw"] as const) {
      const placement = createPlacement(mode, ["c", "a", "b"]);
      for (const n of [3, 5]) {
        const trees = new RangeTrees();
        trees.rebuild(0, placement, n, new MemoryStore());
        const store = new TrackedStore(new MemoryStore(), (k, b, a) => trees.update(k, b, a));
        for (let i = 0; i < 200; i++) {
          const key = `k${i}`;
          store.put(key, "v");
          expect(trees.rangeKeyOf(key)).toBe(trees.keyOf(placement.preferenceList(key, n)));
        }
        expect(trees.size).toBe(1);
        expect(trees.tree(["b", "c", "a"])?.size).toBe(200);
      }
    }
  });
});

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
