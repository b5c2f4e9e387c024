import { DEFAULT_LIMITS, ErrorCode } from "@zkv/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FENCE_LEASE_MS } from "../src/cluster/migration.js";
import { ClusterView } from "../src/cluster/ownership.js";
import { MemoryStore } from "../src/store/index.js";
import { handleNow, thrown } from "./helpers.js";
import { SimCluster } from "./support/add-node-sim.js";
import { expectError } from "./support/error-replies.js";
import { next } from "./support/pinned-ring.js";

// A rebalance run that dies (or is taken over by a new run) part-way through an add-node move.

describe("a killed run cannot resurrect a deleted key", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // fetch + import by run-1, then run-1 dies before its commit; the fence ends either by lease
  // expiry (the same run id carries on, e.g. a retried step) or by a new run taking over.
  const endings = [
    {
      how: "its lease expires",
      resume: (_c: SimCluster) => {
        vi.setSystemTime(Date.now() + FENCE_LEASE_MS);
        return "run-1";
      },
    },
    {
      how: "a new run takes over",
      resume: (c: SimCluster) => {
        c.begin("run-2");
        return "run-2";
      },
    },
  ];

  it.each(endings)("when the dead run's fence ends because $how", ({ resume }) => {
    const c = new SimCluster();
    c.route({ op: "PUT", key: "150", value: "v1" });
    c.begin("run-1");
    const fetched = c.fetch("run-1", ["150"]);
    expect(c.import("run-1", fetched.entries)).toStrictEqual({ ok: true, count: 1 });
    expect(c.b.store.get("150")).toBe("v1"); // a stale copy waiting on b
    expectError(c.send("a", { op: "DELETE", key: "150" }), ErrorCode.TRY_AGAIN);

    const run = resume(c);

    // The client deletes the key; a still holds it, so a serves the delete and keeps a tombstone.
    const del = c.route({ op: "DELETE", key: "150" });
    expect(del).toStrictEqual({ reply: { ok: true, deleted: true }, path: ["a"] });
    // Before the deletion moves, a answers for the key: NOT_FOUND, never b's stale copy.
    expectError(c.route({ op: "GET_ONE", key: "150" }).reply, ErrorCode.NOT_FOUND);

    const swept = c.sweep(run);
    expect(swept.entries).toStrictEqual([{ key: "150", deleted: true }]);
    c.import(run, swept.entries);
    expect(c.b.store.get("150")).toBeUndefined();
    expect(c.commit(run, ["150"]).count).toBe(1);
    expectError(c.route({ op: "GET_ONE", key: "150" }).reply, ErrorCode.NOT_FOUND);

    c.end();
    expect(c.a.store.size + c.b.store.size).toBe(0);
    expectError(c.route({ op: "GET_ONE", key: "150" }, next).reply, ErrorCode.NOT_FOUND);
  });

  it("a late commit of the dead run is refused and deletes nothing", () => {
    const c = new SimCluster();
    c.route({ op: "PUT", key: "150", value: "v1" });
    c.begin("run-1");
    c.import("run-1", c.fetch("run-1", ["150"]).entries);
    c.begin("run-2");
    c.route({ op: "PUT", key: "150", value: "v2" });
    const err = thrown(() => c.commit("run-1", ["150"]));
    expect(err.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(err.field).toBe("run");
    expect(c.a.store.get("150")).toBe("v2");
  });
});

describe("IMPORT from a run that was taken over", () => {
  it("is refused, so a late copy can never overwrite what the new run moved", () => {
    const cluster = new ClusterView("b");
    const spec = { hashing: "ring" as const, members: [{ id: "a", weight: 1 }] };
    const next = {
      hashing: "ring" as const,
      members: [
        { id: "a", weight: 1 },
        { id: "b", weight: 1 },
      ],
    };
    const ctx = { nodeId: "b", store: new MemoryStore(), limits: DEFAULT_LIMITS, cluster };
    const begin = (run: string) =>
      handleNow({ op: "MIGRATION", phase: "begin", run, epoch: 0, placement: next, current: spec }, ctx);
    begin("run-1");
    begin("run-2");
    const late = () => handleNow({ op: "IMPORT", run: "run-1", entries: [{ key: "k", value: "old" }] }, ctx);
    expect(late).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_REQUEST, field: "run" }));
    expect(ctx.store.get("k")).toBeUndefined();
    const current = handleNow({ op: "IMPORT", run: "run-2", entries: [{ key: "k", value: "new" }] }, ctx);
    expect(current).toEqual({ ok: true, count: 1 });
  });
});
