import { ErrorCode, ZkvError } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planRead, planWrite } from "../src/replication/quorum-plan.js";

const NODES = ["a", "b", "c", "d", "e"];

/** A key's replicas, the node planning, who is up and who serves, and a quorum. */
const situation = fc.record({
  replicas: fc.shuffledSubarray(NODES, { minLength: 1 }),
  self: fc.constantFrom(...NODES),
  serving: fc.boolean(),
  up: fc.subarray(NODES),
  notServing: fc.subarray(NODES),
  quorum: fc.integer({ min: 1, max: 6 }),
});

type Situation = typeof situation extends fc.Arbitrary<infer T> ? T : never;

function planner(s: Situation) {
  return {
    self: s.self,
    serving: s.serving,
    peers: { isUp: (p: string) => s.up.includes(p), isServing: (p: string) => !s.notServing.includes(p) },
  };
}

/** Replicas that can count: this node if it serves and replicates the key, others up and serving. */
function countable(s: Situation, selfCounts: boolean): number {
  const others = s.replicas.filter((p) => p !== s.self && s.up.includes(p) && !s.notServing.includes(p));
  return others.length + (selfCounts ? 1 : 0);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return err instanceof ZkvError ? err.code : "not a ZkvError";
  }
}

describe("write and read plans (property)", () => {
  it("a write is planned only on a replica, never past its quorum's reach, and sent to every replica up", () => {
    fc.assert(
      fc.property(situation, (s) => {
        const code = codeOf(() => planWrite("k", s.replicas, s.quorum, planner(s)));
        const refusal = !s.replicas.includes(s.self)
          ? ErrorCode.WRONG_NODE
          : s.quorum > s.replicas.length
            ? ErrorCode.INVALID_REQUEST
            : countable(s, s.serving) < s.quorum
              ? ErrorCode.NOT_ENOUGH_REPLICAS
              : undefined;
        expect(code).toBe(refusal);
        if (refusal !== undefined) return;
        const plan = planWrite("k", s.replicas, s.quorum, planner(s));
        expect(plan.self).toBe(s.serving);
        expect(plan.needed).toBe(s.quorum);
        expect(new Set(plan.up)).toEqual(new Set(s.replicas.filter((p) => p !== s.self && s.up.includes(p))));
        expect(plan.others).not.toContain(s.self);
      }),
    );
  });

  it("a read counts this node's copy only when it serves and replicates the key", () => {
    fc.assert(
      fc.property(situation, (s) => {
        const selfCounts = s.serving && s.replicas.includes(s.self);
        const code = codeOf(() => planRead("k", s.replicas, s.quorum, planner(s)));
        const refusal =
          s.quorum > s.replicas.length
            ? ErrorCode.INVALID_REQUEST
            : countable(s, selfCounts) < s.quorum
              ? ErrorCode.NOT_ENOUGH_REPLICAS
              : undefined;
        expect(code).toBe(refusal);
        if (refusal !== undefined) return;
        const plan = planRead("k", s.replicas, s.quorum, planner(s));
        expect(plan.self).toBe(selfCounts);
        expect(plan.up).not.toContain(s.self);
      }),
    );
  });
});
