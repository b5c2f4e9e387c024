import { createPlacement } from "@zkv/hashring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { MemoryStore } from "../src/store/index.js";
import { dump } from "./support/hash-trees.js";

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
