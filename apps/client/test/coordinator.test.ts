import { createPlacement } from "@zkv/hashring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coordinatorOf, RankedReplicas, servingCoordinatorOf } from "../src/lib/cluster/coordinator.js";

/** Pure unit tests: which replica coordinates a key, no cluster, no processes. */

const ids = Array.from({ length: 12 }, (_, i) => `node-${i}`);

/** A replica set (distinct ids, 1 to 5 of them) and which of them are up. */
const replicaSets = fc
  .uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 5 })
  .chain((replicas) =>
    fc.record({
      replicas: fc.constant(replicas),
      up: fc.array(fc.boolean(), { minLength: replicas.length, maxLength: replicas.length }),
    }),
  );

function upOf(replicas: readonly string[], up: readonly boolean[]) {
  const set = new Set(replicas.filter((_, i) => up[i]));
  return (id: string) => set.has(id);
}

describe("coordinatorOf", () => {
  it("picks a replica that is up, or the owner when none is", () => {
    fc.assert(
      fc.property(replicaSets, ({ replicas, up }) => {
        const isUp = upOf(replicas, up);
        const chosen = coordinatorOf(replicas, isUp);
        expect(replicas).toContain(chosen);
        if (up.some(Boolean)) expect(isUp(chosen)).toBe(true);
        else expect(chosen).toBe(replicas[0]);
      }),
    );
  });

  it("depends on the replica set, not its order: every client sends a key to the same node", () => {
    fc.assert(
      fc.property(replicaSets, fc.infiniteStream(fc.nat()), ({ replicas, up }, seeds) => {
        const isUp = upOf(replicas, up);
        if (!up.some(Boolean)) return; // then the owner, which order decides by definition
        const shuffled = [...replicas].sort(() => (seeds.next().value % 3) - 1);
        expect(coordinatorOf(shuffled, isUp)).toBe(coordinatorOf(replicas, isUp));
      }),
    );
  });

  it("moves a key only when its coordinator goes down, and back when it returns", () => {
    fc.assert(
      fc.property(replicaSets, fc.nat(), ({ replicas }, pick) => {
        const all = () => true;
        const chosen = coordinatorOf(replicas, all);
        const other = replicas[pick % replicas.length]!;
        const without = (gone: string) => (id: string) => id !== gone;
        if (other !== chosen) expect(coordinatorOf(replicas, without(other))).toBe(chosen);
        if (replicas.length > 1) expect(coordinatorOf(replicas, without(chosen))).not.toBe(chosen);
      }),
    );
  });

  it("gives every key of a 3-node cluster with 3 copies the same coordinator: one message per turn", () => {
    const placement = createPlacement(
      "ring",
      ["node-0", "node-1", "node-2"].map((id) => ({ id, weight: 1 })),
    );
    const chosen = new Set(
      Array.from({ length: 500 }, (_, i) => coordinatorOf(placement.preferenceList(`k${i}`, 3), () => true)),
    );
    expect(chosen.size).toBe(1);
  });

  it("spreads replica sets over their members in a larger cluster: no node coordinates them all", () => {
    for (const hashing of ["ring", "hrw"] as const) {
      const placement = createPlacement(
        hashing,
        ids.map((id) => ({ id, weight: 1 })),
      );
      const coordinated = new Map<string, number>();
      for (let i = 0; i < 12_000; i++) {
        const chosen = coordinatorOf(placement.preferenceList(`key-${i}`, 3), () => true);
        coordinated.set(chosen, (coordinated.get(chosen) ?? 0) + 1);
      }
      // 1000 keys each if perfectly even; the hash of each set decides, so allow a wide margin.
      expect(coordinated.size).toBe(ids.length);
      for (const count of coordinated.values()) expect(count).toBeLessThan(3000);
    }
  });
});

describe("servingCoordinatorOf", () => {
  /** A replica set, who is up, and who of those is bootstrapping (up but not serving). */
  const withStates = replicaSets.chain(({ replicas, up }) =>
    fc.record({
      replicas: fc.constant(replicas),
      up: fc.constant(up),
      booting: fc.array(fc.boolean(), { minLength: replicas.length, maxLength: replicas.length }),
    }),
  );

  it("picks a serving replica while one is up, else one that is up, else the owner", () => {
    fc.assert(
      fc.property(withStates, fc.infiniteStream(fc.nat()), ({ replicas, up, booting }, seeds) => {
        const isUp = upOf(replicas, up);
        const serves = upOf(
          replicas,
          up.map((u, i) => u && !booting[i]),
        );
        const chosen = servingCoordinatorOf(replicas, serves, isUp);
        if (replicas.some(serves)) expect(serves(chosen)).toBe(true);
        else expect(chosen).toBe(coordinatorOf(replicas, isUp));
        // Every client, whatever order its preference list comes in, picks the same node.
        const shuffled = [...replicas].sort(() => (seeds.next().value % 3) - 1);
        if (replicas.some(isUp)) expect(servingCoordinatorOf(shuffled, serves, isUp)).toBe(chosen);
        // What the ranked form picks for a cluster whose members hold every key.
        const ranked = new RankedReplicas(replicas);
        if (replicas.some(isUp)) expect(ranked.firstUp(serves) ?? ranked.firstUp(isUp)).toBe(chosen);
      }),
    );
  });

  it("changes nothing while every replica serves", () => {
    fc.assert(
      fc.property(replicaSets, ({ replicas, up }) => {
        const isUp = upOf(replicas, up);
        expect(servingCoordinatorOf(replicas, isUp, isUp)).toBe(coordinatorOf(replicas, isUp));
      }),
    );
  });
});

describe("RankedReplicas", () => {
  it("picks what coordinatorOf picks for its set, whoever is up and in any order", () => {
    fc.assert(
      fc.property(replicaSets, fc.infiniteStream(fc.nat()), ({ replicas, up }, seeds) => {
        const isUp = upOf(replicas, up);
        const ranked = new RankedReplicas([...replicas].sort(() => (seeds.next().value % 3) - 1));
        if (up.some(Boolean)) expect(ranked.firstUp(isUp)).toBe(coordinatorOf(replicas, isUp));
        else expect(ranked.firstUp(isUp)).toBeUndefined();
      }),
    );
  });

  it("picks every member of a 3-node cluster in turn as the ones before it go down", () => {
    const members = ["node-0", "node-1", "node-2"];
    const ranked = new RankedReplicas(members);
    const down = new Set<string>();
    const picked: string[] = [];
    for (let i = 0; i < members.length; i++) {
      const chosen = ranked.firstUp((id) => !down.has(id))!;
      expect(chosen).toBe(coordinatorOf(members, (id) => !down.has(id)));
      picked.push(chosen);
      down.add(chosen);
    }
    expect(new Set(picked).size).toBe(3);
    expect(ranked.firstUp((id) => !down.has(id))).toBeUndefined();
  });
});
