import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsistentHashRing, createPlacement, planRebalance } from "../src/index.js";
import { keys, nodeIds } from "./support.js";

/** planRebalance against brute force: locate every key before and after. */

const algorithm = fc.constantFrom("ring" as const, "hrw" as const);

describe("planRebalance", () => {
  it("agrees with brute-force locate before/after, in (from, to) order", () => {
    fc.assert(
      fc.property(
        nodeIds(1, 7),
        nodeIds(1, 7),
        algorithm,
        algorithm,
        keys,
        (idsA, idsB, algA, algB, keyList) => {
          const before = createPlacement(algA, idsA);
          const after = createPlacement(algB, idsB);
          const plan = planRebalance(before, after, keyList);

          const expected = new Map<string, string[]>();
          for (const key of new Set(keyList)) {
            const from = before.locate(key);
            const to = after.locate(key);
            if (from === to) continue;
            const pair = `${from}\u0000${to}`;
            expected.set(pair, [...(expected.get(pair) ?? []), key]);
          }
          const actual = new Map(plan.map((t) => [`${t.from}\u0000${t.to}`, t.keys]));
          expect(actual).toEqual(expected);

          for (let i = 1; i < plan.length; i++) {
            const a = plan[i - 1]!;
            const b = plan[i]!;
            expect(a.from < b.from || (a.from === b.from && a.to < b.to)).toBe(true);
          }
        },
      ),
    );
  });

  it("is empty between equal placements and lists a duplicated key once", () => {
    const ring = new ConsistentHashRing(["a", "b", "c"]);
    expect(planRebalance(ring, new ConsistentHashRing(["c", "b", "a"]), ["k1", "k2", "k3"])).toEqual([]);
    const grown = ring.withNode("d");
    const moving = Array.from({ length: 200 }, (_, i) => `key-${i}`).find((k) => grown.locate(k) === "d")!;
    expect(planRebalance(ring, grown, [moving, moving])).toEqual([
      { from: ring.locate(moving), to: "d", keys: [moving] },
    ]);
  });

  it("accepts any iterable, such as a generator", () => {
    const ring = new ConsistentHashRing(["a", "b"]);
    function* all() {
      for (let i = 0; i < 100; i++) yield `key-${i}`;
    }
    const plan = planRebalance(ring, ring.withoutNode("a"), all());
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ from: "a", to: "b" });
  });
});
