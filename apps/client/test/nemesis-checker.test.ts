import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowedValues,
  checkCounters,
  checkPlacement,
  checkReads,
  type FinalRead,
} from "./nemesis/checker.js";
import { History } from "./nemesis/history.js";
import { Prng } from "./nemesis/prng.js";
import { checkRunReads } from "./nemesis/run-reads.js";
import { generateSchedule } from "./nemesis/schedule.js";

/** One writer's operations on key "k", one after another: op i runs from t=2i to t=2i+1. */
function sequential(ops: ReadonlyArray<{ value: string | undefined; acked: boolean }>): History {
  const history = new History();
  ops.forEach((o, i) => {
    const op = history.invoke("k", o.value, 2 * i);
    if (o.acked) history.ok(op, 2 * i + 1);
    else history.fail(op, "TIMEOUT");
  });
  return history;
}

const read = (value: string | undefined): Map<string, FinalRead> => new Map([["k", { value }]]);

describe("nemesis checker: reads", () => {
  it("flags a lost acknowledged write, and a deleted key that came back", () => {
    const lost = sequential([{ value: "a", acked: true }]);
    expect(checkReads(lost, read(undefined))).toMatchObject([{ invariant: "read", key: "k", kind: "lost" }]);
    const resurrected = sequential([
      { value: "a", acked: true },
      { value: undefined, acked: true },
    ]);
    expect(checkReads(resurrected, read("a"))).toMatchObject([{ kind: "lost" }]);
    expect(checkReads(resurrected, read(undefined))).toEqual([]);
  });

  it("accepts an indeterminate newer value, and an older one that failed (it may land late)", () => {
    const history = sequential([
      { value: "a", acked: true },
      { value: "b", acked: false },
      { value: "c", acked: true },
    ]);
    expect(checkReads(history, read("c"))).toEqual([]);
    expect(checkReads(history, read("b"))).toEqual([]);
    expect(checkReads(history, read("a"))).toMatchObject([{ kind: "lost" }]);
    expect(checkReads(history, read("z"))).toMatchObject([{ kind: "phantom" }]);
  });

  it("allows either of two overlapping writes, and a key never acknowledged to be absent", () => {
    const history = new History();
    const a = history.invoke("k", "a", 0);
    const b = history.invoke("k", "b", 1);
    history.ok(b, 2);
    history.ok(a, 3);
    expect(allowedValues(history.writesOf("k"))).toEqual(new Set(["a", "b"]));
    expect(allowedValues(sequential([{ value: "a", acked: false }]).writesOf("k"))).toEqual(
      new Set([undefined, "a"]),
    );
  });

  it("flags a key whose final read failed", () => {
    const history = sequential([{ value: "a", acked: true }]);
    const failed = new Map<string, FinalRead>([["k", { error: "TIMEOUT" }]]);
    expect(checkReads(history, failed)).toMatchObject([{ kind: "unreadable" }]);
  });

  it("accepts every outcome where acknowledged writes landed in order and failed ones at any later time or never", () => {
    const op = fc.record({
      value: fc.option(fc.constant("v"), { nil: undefined }),
      acked: fc.boolean(),
      // where a failed write lands: never, or this many ops after its own
      lateBy: fc.option(fc.nat(5), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (drawn) => {
        const ops = drawn.map((o, i) => ({ ...o, value: o.value && `${o.value}${i}` }));
        const landed = ops
          .map((o, i) => ({
            value: o.value,
            at: o.acked ? i : o.lateBy === undefined ? -1 : i + o.lateBy + 0.5,
          }))
          .filter((l) => l.at >= 0)
          .sort((x, y) => x.at - y.at);
        const final = landed.length === 0 ? undefined : landed[landed.length - 1]!.value;
        expect(checkReads(sequential(ops), read(final))).toEqual([]);
      }),
    );
  });
});

describe("nemesis checker: reads during the run", () => {
  /** `sequential`'s history with one read of "k" from `at` to `at + 0.5`. */
  const withRead = (history: History, value: string | undefined, at: number) => {
    history.read("k", value, at, at + 0.5);
    return checkRunReads(history);
  };

  it("flags a read that returned an overwritten value, or nothing once a write was acknowledged", () => {
    // put a at 0-1, put b at 2-3
    const ab = () =>
      sequential([
        { value: "a", acked: true },
        { value: "b", acked: true },
      ]);
    expect(withRead(ab(), "b", 3.5)).toEqual([]);
    expect(withRead(ab(), "a", 3.5)).toMatchObject([{ invariant: "read", key: "k", kind: "stale" }]);
    expect(withRead(ab(), undefined, 1.5)).toMatchObject([{ kind: "stale" }]);
    expect(withRead(ab(), "z", 3.5)).toMatchObject([{ kind: "phantom during the run" }]);
    expect(withRead(ab(), "b", 1.2)).toMatchObject([{ kind: "from a later write" }]);
  });

  it("accepts a value whose write overlaps the read, absence before any acknowledgement, and a delete's absence", () => {
    const ab = () =>
      sequential([
        { value: "a", acked: true },
        { value: "b", acked: true },
      ]);
    expect(withRead(ab(), "a", 2.2)).toEqual([]); // b still in flight
    expect(withRead(ab(), "b", 1.8)).toEqual([]); // b invoked before the read ended
    expect(withRead(ab(), undefined, 0.5)).toEqual([]); // a not acknowledged yet
    const deleted = sequential([
      { value: "a", acked: true },
      { value: undefined, acked: false },
    ]);
    expect(withRead(deleted, undefined, 5)).toEqual([]); // the failed delete may have landed
  });

  it("accepts every read of a sequential history that returns what had landed when it ran", () => {
    const op = fc.record({
      value: fc.option(fc.constant("v"), { nil: undefined }),
      acked: fc.boolean(),
      lateBy: fc.option(fc.nat(5), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), fc.nat(13), (drawn, readAfter) => {
        const ops = drawn.map((o, i) => ({ ...o, value: o.value && `${o.value}${i}` }));
        // Ops i run 2i..2i+1; the read runs between op readAfter-1 and op readAfter.
        const landed = ops
          .map((o, i) => ({
            value: o.value,
            at: o.acked ? i : o.lateBy === undefined ? -1 : i + o.lateBy + 0.5,
          }))
          .filter((l) => l.at >= 0 && l.at < readAfter)
          .sort((x, y) => x.at - y.at);
        const seen = landed.length === 0 ? undefined : landed[landed.length - 1]!.value;
        expect(withRead(sequential(ops), seen, 2 * readAfter - 0.75)).toEqual([]);
      }),
    );
  });
});

describe("nemesis history", () => {
  it("counts failures by code and by cause, with ids and numbers generalised", () => {
    const history = new History();
    for (const node of ["node-3", "node-14"]) {
      history.fail(history.invoke("k", "v"), "NODE_UNAVAILABLE", `node ${node} is not a member`);
    }
    history.incrementFailed("cas-0", "TIMEOUT");
    expect(history.summary()).toMatchObject({
      writes: 2,
      indeterminate: 2,
      casIndeterminate: 1,
      errors: { NODE_UNAVAILABLE: 2, "NODE_UNAVAILABLE: node node-N is not a member": 2, TIMEOUT: 1 },
    });
  });
});

describe("nemesis checker: counters and placement", () => {
  it("a counter holds at least its acknowledged increments, at most those plus the indeterminate", () => {
    const history = new History();
    for (let i = 0; i < 5; i++) history.incremented("cas-0");
    history.incrementFailed("cas-0", "TIMEOUT");
    const at = (v: string | undefined) => new Map<string, FinalRead>([["cas-0", { value: v }]]);
    expect(checkCounters(history, at("5"))).toEqual([]);
    expect(checkCounters(history, at("6"))).toEqual([]);
    expect(checkCounters(history, at("4"))).toMatchObject([{ invariant: "counter", kind: "lost" }]);
    expect(checkCounters(history, at("7"))).toMatchObject([{ kind: "extra" }]);
    expect(checkCounters(history, at(undefined))).toMatchObject([{ kind: "lost" }]);
  });

  it("a key is on exactly its preference list; an absent key nowhere", () => {
    const replicasOf = (key: string) => (key === "a" ? ["n1", "n2"] : ["n2", "n3"]);
    const check = (holders: Record<string, string[]>, present: Record<string, boolean>, exactCopies = true) =>
      checkPlacement({
        holders: new Map(Object.entries(holders)),
        present: new Map(Object.entries(present)),
        replicasOf,
        exactCopies,
      }).map((v) => `${v.key} ${v.kind}`);
    expect(check({ a: ["n1", "n2"] }, { a: true, b: false })).toEqual([]);
    expect(check({ a: ["n1", "n3"] }, { a: true })).toEqual(["a misplaced"]);
    expect(check({ a: ["n1"] }, { a: true })).toEqual(["a missing copies"]);
    expect(check({ a: ["n1"] }, { a: true }, false)).toEqual([]);
    expect(check({}, { a: true }, false)).toEqual(["a held nowhere"]);
    expect(check({ b: ["n2"] }, { b: false })).toEqual(["b deleted key still held"]);
    expect(check({ x: ["n2"] }, {})).toEqual(["x unknown key"]);
  });
});

describe("nemesis schedules", () => {
  const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });

  it("are a pure function of the seed", () => {
    fc.assert(
      fc.property(seed, (s) => {
        expect(generateSchedule(s)).toEqual(generateSchedule(s));
      }),
    );
    const a = new Prng(7);
    const b = new Prng(7);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });

  it("keep every step legal: members never below max(n, 1), launcher stops only with a data dir", () => {
    fc.assert(
      fc.property(seed, (s) => {
        const { mode, steps } = generateSchedule(s);
        let members = Array.from({ length: mode.initialSize }, (_, i) => `node-${i}`);
        let memoryKills = 0;
        for (const step of steps) {
          const a = step.action;
          if (a.kind === "remove") expect(members).toContain(a.node);
          if (a.kind === "add") expect(members).not.toContain(a.node);
          if (a.kind === "add") members = [...members, a.node];
          if (a.kind === "remove") members = members.filter((m) => m !== a.node);
          expect(step.members).toEqual(members);
          expect(members.length).toBeGreaterThanOrEqual(Math.max(mode.replicas, 1));
          const launcherStops =
            a.kind === "restart-launcher" || step.faults.some((f) => f.kind === "kill-launcher");
          if (launcherStops) expect(mode.storage).toBe("disk");
          if (mode.storage === "memory")
            memoryKills += step.faults.filter((f) => f.kind === "kill-node").length;
        }
        if (mode.storage === "memory") expect(memoryKills).toBeLessThanOrEqual(mode.replicas === 3 ? 1 : 0);
      }),
    );
  });
});
