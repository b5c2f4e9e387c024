import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsistentHashRing, DEFAULT_VNODES, hash32, vnodeLabel } from "../src/index.js";

/**
 * Ring tests with an injected trivial hash (after groupcache's consistenthash_test.go), so the
 * expected ring can be written down and checked by hand.
 *
 * Virtual-node labels are `<id length>:<id>:<i>`. The trivial hash maps the label of vnode i of
 * node a/b/c/d to 2/4/6/8 + 10*i, and any other string (a key) to its numeric value.
 */
const BASE: Record<string, number> = { a: 2, b: 4, c: 6, d: 8 };
function trivialHash(s: string): number {
  const label = /^1:([a-d]):(\d+)$/.exec(s);
  return label ? BASE[label[1]!]! + 10 * Number(label[2]) : Number(s);
}

describe("ConsistentHashRing with a trivial hash", () => {
  // nodes a, b, c; 3 vnodes each:
  //   token: 2  4  6  12 14 16 22 24 26
  //   owner: a  b  c  a  b  c  a  b  c
  const ring = new ConsistentHashRing(["c", "a", "b"], { vnodes: 3, hash: trivialHash });

  it("places each key on the first token at or after its hash, wrapping past the last", () => {
    expect(ring.tokenCount).toBe(9);
    const expected: Record<string, string> = {
      "0": "a", //  0 -> 2
      "2": "a", //  2 -> 2 (inclusive)
      "3": "b", //  3 -> 4
      "5": "c", //  5 -> 6
      "11": "a", // 11 -> 12
      "23": "b", // 23 -> 24
      "26": "c", // 26 -> 26
      "27": "a", // 27 -> past 26, wraps to 2
      "4294967295": "a", // 2^32 - 1 wraps too
    };
    for (const [key, owner] of Object.entries(expected)) expect(ring.locate(key), key).toBe(owner);
  });

  it("adding d (tokens 8, 18, 28) only takes keys for d", () => {
    const withD = ring.withNode("d");
    expect(withD.locate("7")).toBe("d"); //  7 -> 8
    expect(withD.locate("17")).toBe("d"); // 17 -> 18
    expect(withD.locate("27")).toBe("d"); // 27 -> 28, no longer wraps
    expect(withD.locate("29")).toBe("a"); // 29 -> wraps to 2
    expect(withD.locate("11")).toBe("a"); // unchanged
    expect(ring.locate("27")).toBe("a"); // the original is untouched
  });

  it("gives weight w round(w * vnodes) tokens: a at weight 2 also holds 32, 42, 52", () => {
    const heavy = new ConsistentHashRing([{ id: "a", weight: 2 }, "b"], { vnodes: 3, hash: trivialHash });
    expect(heavy.tokenCount).toBe(9);
    expect(heavy.locate("30")).toBe("a"); // 30 -> 32
    expect(heavy.locate("53")).toBe("a"); // wraps to 2
    expect(heavy.locate("23")).toBe("b"); // 23 -> 24
    const light = new ConsistentHashRing([{ id: "a", weight: 0.1 }], { vnodes: 3, hash: trivialHash });
    expect(light.tokenCount).toBe(1); // never fewer than one token
  });

  it("cuts the ring into arcs ending just past each token, the stretch after the last one wrapping to a", () => {
    const MAX = 2 ** 32;
    expect(ring.arcs().map((a) => [a.start, a.end, a.node])).toEqual([
      [0, 3, "a"], //      hashes 0..2  -> token 2
      [3, 5, "b"],
      [5, 7, "c"],
      [7, 13, "a"],
      [13, 15, "b"],
      [15, 17, "c"],
      [17, 23, "a"],
      [23, 25, "b"],
      [25, 27, "c"],
      [27, MAX, "a"], //  past 26: wraps to token 2
    ]);
    expect(new ConsistentHashRing([], { vnodes: 3, hash: trivialHash }).arcs()).toEqual([]);
  });

  it("merges consecutive tokens of one owner into one arc: a at weight 2 holds 32, 42, 52 and the wrap", () => {
    const heavy = new ConsistentHashRing([{ id: "a", weight: 2 }, "b"], { vnodes: 3, hash: trivialHash });
    // tokens 2a 4b 12a 14b 22a 24b 32a 42a 52a
    expect(heavy.arcs().map((a) => [a.start, a.end, a.node])).toEqual([
      [0, 3, "a"],
      [3, 5, "b"],
      [5, 13, "a"],
      [13, 15, "b"],
      [15, 23, "a"],
      [23, 25, "b"],
      [25, 2 ** 32, "a"],
    ]);
  });

  it("walks clockwise for the preference list, skipping owners already listed", () => {
    expect(ring.preferenceList("5", 3)).toEqual(["c", "a", "b"]); // 6(c) 12(a) 14(b)
    expect(ring.preferenceList("27", 2)).toEqual(["a", "b"]); // wraps: 2(a) 4(b)
    expect(ring.preferenceList("5", 10)).toEqual(["c", "a", "b"]); // n > nodes: every node
  });
});

describe("ConsistentHashRing token collisions", () => {
  // Every label hashes to 7: all three nodes want the same single token.
  const constant = (s: string) => (s.includes(":") ? 7 : Number(s));

  it("gives a contested token to the lower id, whatever the insertion order", () => {
    for (const order of [
      ["x", "y", "z"],
      ["z", "y", "x"],
      ["y", "z", "x"],
    ]) {
      const ring = new ConsistentHashRing(order, { vnodes: 4, hash: constant });
      expect(ring.tokenCount).toBe(1);
      expect(ring.locate("100")).toBe("x");
    }
  });

  it("hands the token to the next id when the winner leaves", () => {
    const ring = new ConsistentHashRing(["x", "y", "z"], { vnodes: 4, hash: constant });
    expect(ring.withoutNode("x").locate("1")).toBe("y");
  });

  it("still lists token-less nodes (in id order) in a full preference list", () => {
    const ring = new ConsistentHashRing(["z", "x", "y"], { vnodes: 4, hash: constant });
    expect(ring.preferenceList("1", 5)).toEqual(["x", "y", "z"]);
  });
});

describe("virtual-node labels", () => {
  it("cannot collide across ids: node-1 vnode 11 differs from node-11 vnode 1", () => {
    expect(vnodeLabel("node-1", 11)).toBe("6:node-1:11");
    expect(vnodeLabel("node-11", 1)).toBe("7:node-11:1");
  });

  it("are distinct for distinct (id, index) pairs", () => {
    const pair = fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.nat(5000));
    fc.assert(
      fc.property(pair, pair, ([id1, i1], [id2, i2]) => {
        fc.pre(id1 !== id2 || i1 !== i2);
        expect(vnodeLabel(id1, i1)).not.toBe(vnodeLabel(id2, i2));
      }),
    );
  });
});

describe("ConsistentHashRing arcs at the default hash", () => {
  const ring = new ConsistentHashRing(["node-0", "node-1", { id: "node-2", weight: 2 }]);
  const arcs = ring.arcs();

  it("cover the circle without gaps, and no two neighbours share an owner", () => {
    expect(arcs[0]!.start).toBe(0);
    expect(arcs[arcs.length - 1]!.end).toBe(2 ** 32);
    for (let i = 1; i < arcs.length; i++) {
      expect(arcs[i]!.start).toBe(arcs[i - 1]!.end);
      expect(arcs[i]!.node).not.toBe(arcs[i - 1]!.node);
    }
  });

  it("name the node locate() gives any key whose hash falls in them", () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const h = hash32(key);
        const arc = arcs.find((a) => a.start <= h && h < a.end)!;
        expect(arc.node).toBe(ring.locate(key));
      }),
    );
  });
});

describe("ConsistentHashRing defaults", () => {
  it(`uses ${DEFAULT_VNODES} vnodes per unit of weight`, () => {
    const ring = new ConsistentHashRing(["a", { id: "b", weight: 2 }]);
    expect(ring.vnodes).toBe(DEFAULT_VNODES);
    // 3 * DEFAULT_VNODES labels; a 32-bit collision among ~3k tokens is possible but rare.
    expect(ring.tokenCount).toBeGreaterThan(3 * DEFAULT_VNODES - 3);
    expect(ring.tokenCount).toBeLessThanOrEqual(3 * DEFAULT_VNODES);
  });
});
