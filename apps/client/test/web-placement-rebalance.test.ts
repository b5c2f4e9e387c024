import { initialPlacement, type RebalanceProgress } from "@zkv/membership";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rebalanceView, segments } from "../src/dashboard/model.js";
import { changingNode, movingProgress, type ShareRow, shareRows } from "../web/placement.js";
import { tenths } from "./support/percent-texts.js";

/** The page's share table during a rebalance (web/placement.js), in Node: no browser, no cluster. */

describe("shareRows and movingProgress: what a rebalance changes", () => {
  const four = segments("hrw", initialPlacement(4).members);
  const five = segments("hrw", initialPlacement(5).members);

  it("without a rebalance: each node's share, no after, nobody marked", () => {
    expect(shareRows({ hashing: "hrw", current: four, next: undefined })).toEqual(
      ["node-0", "node-1", "node-2", "node-3"].map((node) => ({
        node,
        now: 0.25,
        after: undefined,
        nowText: "25.0%",
        afterText: undefined,
        change: undefined,
      })),
    );
  });

  it("adding node-4: it joins at 0.0% → 20.0%, the others go 25.0% → 20.0%", () => {
    const rows = shareRows({ hashing: "hrw", current: four, next: five });
    expect(rows.map((r) => [r.node, r.nowText, r.afterText, r.change])).toEqual([
      ["node-0", "25.0%", "20.0%", undefined],
      ["node-1", "25.0%", "20.0%", undefined],
      ["node-2", "25.0%", "20.0%", undefined],
      ["node-3", "25.0%", "20.0%", undefined],
      ["node-4", "0.0%", "20.0%", "joining"],
    ]);
    expect(changingNode(five, four)).toEqual({ node: "node-4", change: "leaving" });
  });

  it("property: in ring mode too, before and after each add up to 100.0%, and only the changed node is marked", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.boolean(), (size, adding) => {
        const small = segments("ring", initialPlacement(size).members);
        const big = segments("ring", initialPlacement(size + 1).members);
        const rows = shareRows({
          hashing: "ring",
          current: adding ? small : big,
          next: adding ? big : small,
        });
        expect(tenths(rows.map((r) => r.nowText))).toBe(1000);
        expect(tenths(rows.map((r) => r.afterText!))).toBe(1000);
        expect(rows.filter((r) => r.change).map((r) => [r.node, r.change])).toEqual([
          [`node-${size}`, adding ? "joining" : "leaving"],
        ]);
      }),
      { numRuns: 12 },
    );
  });

  const joining: ShareRow = {
    node: "node-4",
    now: 0,
    after: 0.2,
    nowText: "0.0%",
    afterText: "20.0%",
    change: "joining",
  };
  const report = (over: Partial<RebalanceProgress>, now = 1000) =>
    rebalanceView(
      {
        version: 1,
        run: "r1",
        kind: "add",
        node: "node-4",
        phase: "moving",
        planned: 2000,
        moved: 500,
        swept: 0,
        scanned: 10_000,
        rate: 100,
        startedAt: 0,
        updatedAt: 1000,
        holder: "1@host",
        ...over,
      },
      now,
    );

  it("the joining node's row shows how many of its keys have moved", () => {
    expect(movingProgress(report({}), joining)).toEqual({ fraction: 0.25, text: "500 of 2,000 keys moved" });
    expect(movingProgress(report({ phase: "scanning", planned: 0, moved: 0 }), joining)).toEqual({
      fraction: undefined,
      text: "listing the keys",
    });
    expect(movingProgress(report({}, 60_000), joining)?.text).toBe(
      "500 of 2,000 keys moved; no report for a while",
    );
  });

  it("shows no progress for a report about another change, or a run that is over", () => {
    expect(movingProgress(report({ node: "node-5" }), joining)).toBeUndefined();
    expect(movingProgress(report({ kind: "remove" }), joining)).toBeUndefined();
    expect(movingProgress(report({ phase: "done", moved: 2000 }), joining)).toBeUndefined();
    expect(movingProgress(undefined, joining)).toBeUndefined();
    expect(movingProgress(report({}), { ...joining, change: undefined })).toBeUndefined();
  });
});
