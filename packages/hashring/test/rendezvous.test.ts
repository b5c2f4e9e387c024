import { describe, expect, it } from "vitest";
import { drawUnit, mix32, unitFrom, weightedScore } from "../src/hrw-score.js";
import { hash32, RendezvousHash } from "../src/index.js";
import { loads, seededKeys } from "./support.js";

/**
 * Rendezvous hashing checked against its documented formula: for key hash k and node seeds
 * (hash(id), hash(id + "\0")), h = (mix32(k ^ seedA) * 2^20 + (mix32(k ^ seedB) >>> 12) + 0.5) / 2^52
 * and the score is -weight / ln(h); the highest score wins, ties go to the lower id.
 */

/** The owner by brute force over the formula, independent of the class's fast paths. */
function expectedOwner(nodes: { id: string; weight: number }[], key: string): string {
  const k = hash32(key);
  const scored = nodes.map(({ id, weight }) => {
    const a = mix32(k ^ hash32(id));
    const b = mix32(k ^ hash32(`${id}\u0000`)) >>> 12;
    return { id, score: -weight / Math.log((a * 2 ** 20 + b + 0.5) / 2 ** 52) };
  });
  scored.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
  return scored[0]!.id;
}

describe("hrw-score", () => {
  it("mix32 is pinned (it fixes every HRW owner)", () => {
    expect([0, 1, 2, 0xffffffff, 0x9747b28c].map(mix32)).toEqual([
      0x00000000, 0x688990c0, 0xd1132181, 0x6768824a, 0x8ac590b9,
    ]);
  });

  it("draws h strictly inside (0, 1), even at the extremes", () => {
    const low = unitFrom(0, 0);
    const high = unitFrom(0xffffffff, 0xffffffff);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeLessThan(1);
    expect(Number.isFinite(weightedScore(1, low)) && weightedScore(1, low) > 0).toBe(true);
    expect(Number.isFinite(weightedScore(1, high))).toBe(true);
    expect(drawUnit(7, 1, 2)).toBe(unitFrom(mix32(7 ^ 1), mix32(7 ^ 2)));
  });
});

describe("RendezvousHash", () => {
  const keys = seededKeys(2000, 42);

  it("matches the formula for equal weights (the fast path skips the logarithm)", () => {
    const nodes = ["n1", "n2", "n3", "n4", "n5"].map((id) => ({ id, weight: 1 }));
    const hrw = new RendezvousHash(nodes);
    for (const key of keys) expect(hrw.locate(key)).toBe(expectedOwner(nodes, key));
  });

  it("matches the formula for unequal weights", () => {
    const nodes = ["n1", "n2", "n3", "n4", "n5"].map((id, i) => ({ id, weight: 0.5 + i }));
    const hrw = new RendezvousHash(nodes);
    for (const key of keys) expect(hrw.locate(key)).toBe(expectedOwner(nodes, key));
  });

  it("orders the preference list by score, with locate first", () => {
    const nodes = ["n1", "n2", "n3"].map((id, i) => ({ id, weight: 1 + i }));
    const hrw = new RendezvousHash(nodes);
    for (const key of keys.slice(0, 100)) {
      const list = hrw.preferenceList(key, 3);
      expect(list[0]).toBe(hrw.locate(key));
      // Removing the winner promotes the runner-up: the list is the sequence of fallbacks.
      expect(hrw.withoutNode(list[0]!).locate(key)).toBe(list[1]);
    }
  });

  it("does not starve a node whose first seed collides with another's", () => {
    // x and y get the same seedA; only seedB (hashed from "x\0" / "y\0") tells them apart.
    const colliding = (s: string) => (s === "x" || s === "y" ? 12345 : hash32(s));
    const hrw = new RendezvousHash(["x", "y"], { hash: colliding });
    const load = loads(hrw, keys);
    expect(load.get("x")).toBeGreaterThan(800);
    expect(load.get("y")).toBeGreaterThan(800);
  });

  it("breaks exact ties by the lower id", () => {
    // Same seeds for both nodes: every draw ties, so the lower id always wins.
    const tied = (s: string) => (s.startsWith("p") || s.startsWith("q") ? 99 : hash32(s));
    const hrw = new RendezvousHash(["q", "p"], { hash: tied });
    for (const key of keys.slice(0, 50)) expect(hrw.locate(key)).toBe("p");
    const weighted = new RendezvousHash([{ id: "q", weight: 2 }, { id: "p", weight: 2 }, "r"], {
      hash: tied,
    });
    for (const key of keys.slice(0, 50)) expect(["p", "r"]).toContain(weighted.locate(key));
  });
});
