import { initialPlacement, type RebalanceProgress } from "@zkv/membership";
import { describe, expect, it } from "vitest";
import {
  memberViews,
  newerProgress,
  rebalanceView,
  ringView,
  STALE_AFTER_MS,
  segments,
} from "../src/dashboard/model.js";
import type { NodeRow } from "../src/lib/requests/nodes-view.js";

/** Pure unit tests of what the dashboard shows: no cluster, no processes, numbers by hand. */

function row(id: string, opsServed: number | undefined, keys = 10): NodeRow {
  return {
    id,
    desired: "member",
    live: true,
    address: "127.0.0.1:2000",
    health: "passing",
    weight: 1,
    stats:
      opsServed === undefined
        ? undefined
        : { keys, bytes: 99, opsServed, uptimeSeconds: 5, heapUsedBytes: 1, rssBytes: 2 },
  };
}

function progress(over: Partial<RebalanceProgress> = {}): RebalanceProgress {
  return {
    version: 1,
    run: "run-1",
    kind: "add",
    node: "node-4",
    phase: "moving",
    planned: 1000,
    moved: 400,
    swept: 0,
    scanned: 5000,
    rate: 200,
    startedAt: 0,
    updatedAt: 1000,
    holder: "1@host",
    ...over,
  };
}

describe("the members table", () => {
  it("turns two STATS samples into ops/s, leaving out the dashboard's own STATS", () => {
    const first = memberViews([row("node-0", 100)], new Map(), 0);
    expect(first.members[0]).toMatchObject({ id: "node-0", keys: 10, bytes: 99, opsPerSecond: undefined });
    // 2.5 s later: 251 more messages, one of them our STATS -> 250 / 2.5 s
    const second = memberViews([row("node-0", 351)], first.samples, 2500);
    expect(second.members[0]?.opsPerSecond).toBe(100);
  });

  it("shows no rate for a node whose counter went back (restarted) or that did not answer", () => {
    const before = new Map([
      ["node-0", { opsServed: 500, at: 0 }],
      ["node-1", { opsServed: 500, at: 0 }],
    ]);
    const { members, samples } = memberViews([row("node-0", 3), row("node-1", undefined)], before, 1000);
    expect(members.map((m) => [m.opsPerSecond, m.keys])).toEqual([
      [undefined, 10],
      [undefined, undefined],
    ]);
    expect([...samples.keys()]).toEqual(["node-0"]); // the restarted node starts again from here
  });

  it("carries the peers each node says it cannot reach (a cut Consul does not see), none when it did not answer", () => {
    const cut = row("node-0", 1);
    const withCut = { ...cut, stats: { ...cut.stats!, unreachablePeers: ["node-1", "node-2"] } };
    const { members } = memberViews([withCut, row("node-1", 1), row("node-2", undefined)], new Map(), 0);
    expect(members.map((m) => m.unreachablePeers)).toEqual([["node-1", "node-2"], [], []]);
  });
});

describe("the circle", () => {
  it("HRW: one segment per node as wide as its weight's share, in id order", () => {
    const nodes = [
      { id: "node-1", weight: 2 },
      { id: "node-0", weight: 1 },
      { id: "node-2", weight: 1 },
    ];
    expect(segments("hrw", nodes)).toEqual([
      { node: "node-0", start: 0, end: 0.25 },
      { node: "node-1", start: 0.25, end: 0.75 },
      { node: "node-2", start: 0.75, end: 1 },
    ]);
  });

  it("ring: the arcs cover the circle once, each of 4 nodes holding about a quarter", () => {
    const arcs = segments("ring", initialPlacement(4).members);
    expect(arcs[0]?.start).toBe(0);
    expect(arcs[arcs.length - 1]?.end).toBe(1);
    const share = new Map<string, number>();
    for (const a of arcs) share.set(a.node, (share.get(a.node) ?? 0) + a.end - a.start);
    expect([...share.keys()].sort()).toEqual(["node-0", "node-1", "node-2", "node-3"]);
    for (const s of share.values()) expect(Math.abs(s - 0.25)).toBeLessThan(0.025);
  });

  it("draws the placement being moved to only while a transition is recorded", () => {
    const record = initialPlacement(2);
    expect(ringView("hrw", record).next).toBeUndefined();
    const next = [...record.members, { id: "node-2", weight: 1, host: "127.0.0.1", port: 2002 }];
    const moving = {
      ...record,
      transition: { kind: "add" as const, node: "node-2", run: "r", next, startedAt: "" },
    };
    expect(ringView("hrw", moving).next?.map((s) => s.node)).toEqual(["node-0", "node-1", "node-2"]);
    expect(ringView("ring", undefined)).toEqual({ hashing: "ring", current: [], next: undefined });
  });
});

describe("the rebalance panel", () => {
  it("tells the time left from the rate while moving: 600 keys left at 200 keys/s is 3 s", () => {
    expect(rebalanceView(progress(), 2000)).toMatchObject({ etaSeconds: 3, stale: false });
    expect(rebalanceView(progress({ phase: "scanning", rate: 0 }), 2000)?.etaSeconds).toBeUndefined();
    expect(rebalanceView(progress({ phase: "done", moved: 1000 }), 2000)?.etaSeconds).toBe(0);
    expect(rebalanceView(undefined, 0)).toBeUndefined();
  });

  it("marks a run that stopped reporting as stale, never a finished one", () => {
    const late = 1000 + STALE_AFTER_MS + 1;
    expect(rebalanceView(progress(), late)?.stale).toBe(true);
    expect(rebalanceView(progress({ phase: "done" }), late)?.stale).toBe(false);
    expect(rebalanceView(progress({ phase: "failed", error: "x" }), late)?.stale).toBe(false);
  });

  it("keeps the fresher report of one run (a Consul echo never sets it back); another run replaces it", () => {
    const fresh = progress({ moved: 900, updatedAt: 3000 });
    const echo = progress({ moved: 400, updatedAt: 2000 });
    expect(newerProgress(fresh, echo)).toBe(fresh);
    expect(newerProgress(echo, fresh)).toBe(fresh);
    const other = progress({ run: "run-2", updatedAt: 1 }); // another host's clock may be behind
    expect(newerProgress(fresh, other)).toBe(other);
    expect(newerProgress(fresh, undefined)).toBe(fresh);
  });
});
