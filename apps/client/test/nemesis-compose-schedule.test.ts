import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPOSE_NODES, describeComposeMode, generateComposeSchedule } from "./nemesis/compose/schedule.js";

/** The compose nemesis's schedules (`pnpm nemesis --compose`), without Docker: pure functions of the seed. */
describe("compose nemesis schedules", () => {
  const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

  it("are a pure function of the seed, so --seed replays one", () => {
    fc.assert(
      fc.property(seed, (s) => {
        expect(generateComposeSchedule(s)).toEqual(generateComposeSchedule(s));
      }),
    );
  });

  it("are bounded: 2-4 steps, 1-2 faults a step on distinct nodes of the stack, each healed within 6 s", () => {
    fc.assert(
      fc.property(seed, (s) => {
        const { steps } = generateComposeSchedule(s);
        expect(steps.length).toBeGreaterThanOrEqual(2);
        expect(steps.length).toBeLessThanOrEqual(4);
        for (const step of steps) {
          expect(step.faults.length).toBeGreaterThanOrEqual(1);
          expect(step.faults.length).toBeLessThanOrEqual(2);
          const nodes = step.faults.map((f) => f.node);
          expect(new Set(nodes).size).toBe(nodes.length);
          for (const f of step.faults) {
            expect(COMPOSE_NODES).toContain(f.node);
            expect(f.afterMs).toBeLessThanOrEqual(step.ms / 2);
            expect(f.forMs).toBeGreaterThanOrEqual(1000);
            expect(f.forMs).toBeLessThanOrEqual(6000);
          }
        }
      }),
    );
  });

  it("start no fault past the middle of its step, on an odd step length too (seed 2982303093)", () => {
    for (const step of generateComposeSchedule(2982303093).steps) {
      for (const f of step.faults) expect(f.afterMs).toBeLessThanOrEqual(step.ms / 2);
    }
  });

  it("reach every mode of the stack and every container fault", () => {
    const modes = new Set<string>();
    const kinds = new Set<string>();
    for (let s = 0; s < 500; s++) {
      const schedule = generateComposeSchedule(s);
      modes.add(describeComposeMode(schedule.mode));
      for (const step of schedule.steps) for (const f of step.faults) kinds.add(f.kind);
    }
    expect(modes.size).toBe(8); // n=1|3 x ring|hrw x fsync batch|always
    expect([...kinds].sort()).toEqual(["kill", "partition", "pause"]);
  });
});
