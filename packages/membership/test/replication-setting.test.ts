import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidSettingError } from "../src/errors.js";
import { parseReplication, replication } from "../src/replication-setting.js";

describe("replication settings", () => {
  it("default to majority quorums that overlap, for any n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (n) => {
        const s = replication(n);
        expect(s.r + s.w).toBeGreaterThan(n);
        expect(parseReplication(JSON.stringify(s))).toEqual(s);
      }),
    );
    expect(replication(3)).toEqual({ n: 3, w: 2, r: 2 });
    expect(replication(1)).toEqual({ n: 1, w: 1, r: 1 });
  });

  it("refuse quorums that do not overlap or exceed n, and anything malformed", () => {
    expect(() => replication(3, 1, 1)).toThrow(InvalidSettingError);
    expect(() => replication(3, 4, 2)).toThrow(InvalidSettingError);
    for (const raw of ["3", "{", '{"n":3}', '{"n":0,"w":1,"r":1}', '{"n":2,"w":1.5,"r":2}']) {
      expect(() => parseReplication(raw)).toThrow(InvalidSettingError);
    }
  });
});
