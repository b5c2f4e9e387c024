import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPlacement } from "../src/index.js";
import { algorithms, keys, nodeIds } from "./support.js";

/** Properties every placement must have, checked on random node sets and keys for both algorithms. */

const weight = fc.oneof(fc.constant(1), fc.double({ min: 0.25, max: 4, noNaN: true }));
const specs = nodeIds(1, 8).chain((ids) =>
  fc.tuple(...ids.map((id) => weight.map((w) => ({ id, weight: w })))),
);

describe.each(algorithms)("%s", (algorithm, build) => {
  it("places keys independently of the order nodes are listed in", () => {
    fc.assert(
      fc.property(specs, keys, fc.func(fc.integer()), (nodes, keyList, order) => {
        const shuffled = [...nodes].sort((a, b) => order(a.id) - order(b.id) || (a.id < b.id ? -1 : 1));
        const one = build(nodes);
        const two = build(shuffled);
        expect(two.nodes).toEqual(one.nodes);
        for (const key of keyList) expect(two.locate(key)).toBe(one.locate(key));
      }),
    );
  });

  it("withNode equals a fresh build and leaves the original untouched", () => {
    fc.assert(
      fc.property(nodeIds(2, 8), keys, (ids, keyList) => {
        const [added, ...rest] = ids as [string, ...string[]];
        const before = build(rest);
        const ownersBefore = keyList.map((k) => before.locate(k));
        const grown = before.withNode(added);
        const fresh = build(ids);
        for (const key of keyList) expect(grown.locate(key)).toBe(fresh.locate(key));
        expect(keyList.map((k) => before.locate(k))).toEqual(ownersBefore);
        expect(grown.algorithm).toBe(algorithm);
      }),
    );
  });

  it("adding a node only moves keys to that node", () => {
    fc.assert(
      fc.property(specs, fc.string({ minLength: 1, maxLength: 10 }), keys, (nodes, id, keyList) => {
        fc.pre(!nodes.some((n) => n.id === id));
        const before = build(nodes);
        const after = before.withNode(id);
        for (const key of keyList) {
          const owner = after.locate(key);
          if (owner !== before.locate(key)) expect(owner).toBe(id);
        }
      }),
    );
  });

  it("removing a node only moves that node's keys", () => {
    fc.assert(
      fc.property(specs, fc.nat(), keys, (nodes, pick, keyList) => {
        fc.pre(nodes.length >= 2);
        const gone = nodes[pick % nodes.length]!.id;
        const before = build(nodes);
        const after = before.withoutNode(gone);
        for (const key of keyList) {
          const owner = before.locate(key);
          if (owner !== gone) expect(after.locate(key)).toBe(owner);
          else expect(after.locate(key)).not.toBe(gone);
        }
      }),
    );
  });

  it("preferenceList is distinct, min(n, nodes) long, and starts with locate", () => {
    fc.assert(
      fc.property(specs, keys, fc.nat(12), (nodes, keyList, n) => {
        const placement = build(nodes);
        for (const key of keyList) {
          const list = placement.preferenceList(key, n);
          expect(list).toHaveLength(Math.min(n, nodes.length));
          expect(new Set(list).size).toBe(list.length);
          for (const id of list) expect(placement.nodes).toContain(id);
          if (n > 0) expect(list[0]).toBe(placement.locate(key));
        }
      }),
    );
  });

  it("reports each node's weight and is what createPlacement builds", () => {
    fc.assert(
      fc.property(specs, keys, (nodes, keyList) => {
        const placement = build(nodes);
        const made = createPlacement(algorithm, nodes);
        for (const { id, weight: w } of nodes) expect(placement.weightOf(id)).toBe(w);
        expect(made.algorithm).toBe(algorithm);
        for (const key of keyList) expect(made.locate(key)).toBe(placement.locate(key));
      }),
    );
  });
});
