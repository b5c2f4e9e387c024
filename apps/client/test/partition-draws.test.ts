import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "./nemesis/prng.js";
import { describeRound, drawPartitionRounds } from "./support/partition-draws.js";

describe("the partition nemesis' schedule", () => {
  it("cuts each host at most once a round, peers only from other hosts, and replays from its seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 2, max: 5 }), (seed, hosts) => {
        const rounds = drawPartitionRounds(new Prng(seed), hosts, 8);
        expect(drawPartitionRounds(new Prng(seed), hosts, 8)).toEqual(rounds);
        for (const round of rounds) {
          const cut = round.cuts.map((c) => c.host);
          expect(new Set(cut).size).toBe(cut.length);
          expect(cut.length).toBeGreaterThanOrEqual(1);
          expect(round.holdMs).toBeGreaterThanOrEqual(1000);
          for (const c of round.cuts) {
            expect(c.host).toBeLessThan(hosts);
            if (c.kind !== "peers") continue;
            expect(c.from.length).toBeGreaterThanOrEqual(1);
            expect(c.from).not.toContain(c.host);
            expect(new Set(c.from).size).toBe(c.from.length);
          }
        }
      }),
    );
  });

  it("draws, over a few seeds, every kind of cut, both one and two hosts cut, and the two-sided split", () => {
    const rounds = [1, 2, 3, 4, 5].flatMap((seed) => drawPartitionRounds(new Prng(seed), 3, 20));
    const kinds = new Set(rounds.flatMap((r) => r.cuts.map((c) => c.kind)));
    expect([...kinds].sort()).toEqual(["cable", "clients", "consul", "peers"]);
    expect(new Set(rounds.map((r) => r.cuts.length))).toEqual(new Set([1, 2]));
    expect(rounds.some((r) => r.cuts.some((c) => c.kind === "peers" && c.from.length === 1))).toBe(true);
    expect(
      describeRound({ cuts: [{ kind: "peers", host: 1, from: [0, 2] }], holdMs: 1500, bulk: true }),
    ).toBe("node-1 from peers [node-0 node-2], 1500 ms, bulk load");
  });
});
