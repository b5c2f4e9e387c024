import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidSettingError } from "../src/errors.js";
import { effectiveReplication, parseReplicationRecord } from "../src/replication-change.js";
import { replication } from "../src/replication-setting.js";

const change = (phase: "copying" | "reading", next: { n: number; w: number; r: number }) => ({
  run: "r1",
  phase,
  next,
  startedAt: "2026-01-01T00:00:00Z",
});

describe("replication changes", () => {
  it("write to old and new replicas together, read the old setting while copying and the new one after", () => {
    // n=1 → 3: all three must hold a write while copying (the old one and two of the new ones).
    const raising = { n: 1, w: 1, r: 1, change: change("copying", { n: 3, w: 2, r: 2 }) };
    expect(effectiveReplication(raising)).toEqual({
      n: 3,
      w: 3,
      readN: 1,
      r: 1,
      nextN: 3,
      tag: "r1:copying",
      changing: true,
    });
    const reading = { ...raising, change: change("reading", { n: 3, w: 2, r: 2 }) };
    expect(effectiveReplication(reading)).toEqual({
      n: 3,
      w: 3,
      readN: 3,
      r: 2,
      nextN: 3,
      tag: "r1:reading",
      changing: true,
    });
    // n=3 → 2: the third node still takes writes until the new setting is the cluster's.
    const lowering = { n: 3, w: 2, r: 2, change: change("reading", { n: 2, w: 2, r: 1 }) };
    expect(effectiveReplication(lowering)).toEqual({
      n: 3,
      w: 3,
      readN: 2,
      r: 1,
      nextN: 2,
      tag: "r1:reading",
      changing: true,
    });
    expect(effectiveReplication({ n: 2, w: 2, r: 1, completed: { run: "r1" } }).tag).toBe("r1:done");
    expect(effectiveReplication({ n: 2, w: 2, r: 1 }).tag).toBeUndefined();
  });

  it("acknowledge a write during a change only when both settings' write quorums hold it", () => {
    const setting = fc
      .integer({ min: 1, max: 9 })
      .chain((n) =>
        fc
          .record({ n: fc.constant(n), w: fc.integer({ min: 1, max: n }) })
          .chain(({ n, w }) =>
            fc.record({ n: fc.constant(n), w: fc.constant(w), r: fc.integer({ min: n - w + 1, max: n }) }),
          ),
      );
    fc.assert(
      fc.property(setting, setting, fc.boolean(), (from, to, copying) => {
        const e = effectiveReplication({ ...from, change: change(copying ? "copying" : "reading", to) });
        // However the e.w acknowledgements fall among the e.n nodes, at least w of each setting's.
        expect(e.w - (e.n - from.n)).toBeGreaterThanOrEqual(from.w);
        expect(e.w - (e.n - to.n)).toBeGreaterThanOrEqual(to.w);
        expect(e.w).toBeLessThanOrEqual(e.n);
        // Reads overlap every acknowledged write of the setting they read by.
        const read = copying ? from : to;
        expect(e.readN).toBe(read.n);
        expect(e.r + e.w - (e.n - read.n)).toBeGreaterThan(read.n);
      }),
    );
  });

  it("parse the plain setting and a change, and refuse a change to quorums that do not overlap", () => {
    expect(parseReplicationRecord('{"n":3,"w":2,"r":2}')).toEqual(replication(3));
    const stored = { n: 1, w: 1, r: 1, change: change("copying", { n: 3, w: 2, r: 2 }) };
    expect(parseReplicationRecord(JSON.stringify(stored))).toEqual(stored);
    const bad = { ...stored, change: change("copying", { n: 3, w: 1, r: 1 }) };
    expect(() => parseReplicationRecord(JSON.stringify(bad))).toThrow(InvalidSettingError);
    expect(() => parseReplicationRecord('{"n":3,"w":2,"r":2,"change":{}}')).toThrow(InvalidSettingError);
  });
});
