import { describe, expect, it } from "vitest";
import { RepairError, repairPairs } from "../src/repair/repair.js";

describe("repairPairs", () => {
  it("compares every pair of members once, run by the first in order", () => {
    expect(repairPairs(["node-2", "node-0", "node-1"])).toEqual([
      ["node-0", "node-1"],
      ["node-0", "node-2"],
      ["node-1", "node-2"],
    ]);
    expect(repairPairs(["node-0"])).toEqual([]);
  });

  it("with --node, that node with each other member", () => {
    expect(repairPairs(["node-0", "node-1", "node-2"], "node-1")).toEqual([
      ["node-1", "node-0"],
      ["node-1", "node-2"],
    ]);
  });

  it("refuses a node that is not a member, with UNKNOWN_NODE", () => {
    expect(() => repairPairs(["node-0", "node-1"], "node-9")).toThrow(RepairError);
    expect(() => repairPairs(["node-0", "node-1"], "node-9")).toThrow(
      expect.objectContaining({ code: "UNKNOWN_NODE" }),
    );
  });
});
