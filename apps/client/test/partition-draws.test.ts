import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prng } from "./nemesis/prng.js";
import { describeRound, drawPartitionRounds } from "./support/partition-draws.js";

const LAB = { hosts: 4, nodes: 3, minMembers: 3 };

describe("the partition nemesis' schedule", () => {
  it("cuts only running hosts, each at most once a round, from running peers, and replays from its seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const rounds = drawPartitionRounds(new Prng(seed), LAB, 12);
        expect(drawPartitionRounds(new Prng(seed), LAB, 12)).toEqual(rounds);
        for (const round of rounds) {
          const cut = round.cuts.map((c) => c.host);
          expect(new Set(cut).size).toBe(cut.length);
          expect(cut.length).toBeGreaterThanOrEqual(1);
          expect(round.holdMs).toBeGreaterThanOrEqual(1000);
          for (const c of round.cuts) {
            expect(round.hostNodes[c.host]).not.toBeNull();
            if (c.kind !== "peers") continue;
            expect(c.from.length).toBeGreaterThanOrEqual(1);
            expect(c.from).not.toContain(c.host);
            for (const peer of c.from) expect(round.hostNodes[peer]).not.toBeNull();
          }
        }
      }),
    );
  });

  it("adds only into an empty host, never removes below the copies, and never reuses an id", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        let nodes: Array<string | null> = ["node-0", "node-1", "node-2", null];
        const ids = new Set(nodes.filter((n) => n !== null));
        for (const round of drawPartitionRounds(new Prng(seed), LAB, 20)) {
          const change = round.change;
          if (!change) continue;
          if (change.kind === "add") {
            expect(nodes[change.host]).toBeNull();
            expect(ids.has(change.node)).toBe(false);
            ids.add(change.node);
            nodes[change.host] = change.node;
          } else {
            expect(nodes[change.host]).toBe(change.node);
            nodes = nodes.map((n) => (n === change.node ? null : n));
          }
          expect(nodes.filter((n) => n !== null).length).toBeGreaterThanOrEqual(LAB.minMembers);
        }
      }),
    );
  });

  it("draws, over a few seeds, every kind of cut, one and two hosts cut, the two-sided split, adds and removes", () => {
    const rounds = [1, 2, 3, 4, 5].flatMap((seed) => drawPartitionRounds(new Prng(seed), LAB, 20));
    const kinds = new Set(rounds.flatMap((r) => r.cuts.map((c) => c.kind)));
    expect([...kinds].sort()).toEqual(["cable", "clients", "consul", "peers"]);
    expect(new Set(rounds.map((r) => r.cuts.length))).toEqual(new Set([1, 2]));
    expect(rounds.some((r) => r.cuts.some((c) => c.kind === "peers" && c.from.length === 1))).toBe(true);
    expect(new Set(rounds.map((r) => r.change?.kind))).toEqual(new Set([undefined, "add", "remove"]));
    const round = {
      cuts: [{ kind: "peers" as const, host: 1, from: [0, 3] }],
      holdMs: 1500,
      bulk: true,
      change: { kind: "add" as const, node: "node-3", host: 3 },
      hostNodes: ["node-0", "node-1", "node-2", "node-3"],
    };
    expect(describeRound(round)).toBe(
      "node-1 from peers [node-0 node-3], 1500 ms, bulk load; add-node node-3",
    );
  });
});
