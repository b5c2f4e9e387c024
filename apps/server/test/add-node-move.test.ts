import { ErrorCode } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { SimCluster } from "./support/add-node-sim.js";
import { expectError } from "./support/error-replies.js";
import { current, next } from "./support/pinned-ring.js";

// Node b joins a one-node cluster {a}, simulated in-process (support/add-node-sim.ts has the
// hand-pinned placements): the rebalancer's steps by hand, every request checked at each step.

describe("the hand-pinned placements", () => {
  it("match the table in the comment", () => {
    const keys = ["50", "100", "101", "150", "200", "201", "250"];
    expect(keys.map((k) => current.locate(k))).toEqual(keys.map(() => "a"));
    expect(keys.map((k) => next.locate(k))).toEqual(["a", "a", "b", "b", "b", "a", "a"]);
  });
});

describe("an add-node move through handleRequest", () => {
  it("moves a key's expiry and version with it; an expired key is not moved", () => {
    const c = new SimCluster();
    const expiresAt = Date.now() + 60_000;
    c.route({ op: "PUT", key: "150", value: "v", expiresAt });
    c.route({ op: "PUT", key: "160", value: "gone", expiresAt: Date.now() - 1 });
    const { version } = c.a.store.entry("150")!;
    c.begin("run-1");
    const fetched = c.fetch("run-1", ["150", "160"]);
    expect(fetched.entries).toStrictEqual([{ key: "150", value: "v", version, expiresAt }]);
    c.import("run-1", fetched.entries);
    expect(c.b.store.entry("150")).toEqual({ value: "v", version, expiresAt });
  });

  it("moves the leaving keys from a to b, serving every request correctly at each step", () => {
    const c = new SimCluster();
    for (const [key, value] of [
      ["50", "stays"],
      ["150", "v1"],
      ["160", "v1"],
      ["250", "stays too"],
    ] as const) {
      expect(c.route({ op: "PUT", key, value }).reply).toStrictEqual({ ok: true });
    }
    expect(c.a.store.size).toBe(4);

    c.begin("run-1");
    // During the move a still serves the leaving keys it holds...
    expect(c.route({ op: "PUT", key: "150", value: "v2" })).toStrictEqual({
      reply: { ok: true },
      path: ["a"],
    });
    expect(c.a.store.get("150")).toBe("v2");
    // ...sends a new leaving key to b with ASK, where it is served with asking...
    expect(c.route({ op: "PUT", key: "170", value: "new" }).path).toEqual(["a", "b(asking)"]);
    expect(c.b.store.get("170")).toBe("new");
    expect(c.a.store.get("170")).toBeUndefined();
    // ...and b, whose current placement is still {a}, sends anything asked without asking to a.
    expectError(c.send("b", { op: "GET_ONE", key: "170" }), ErrorCode.WRONG_NODE, "a");

    const fetched = c.fetch("run-1", ["150", "160", "50", "250"]);
    const versionOnA = c.a.store.entry("150")!.version;
    // Entries move with their versions (a compare-and-set means the same on the new owner).
    expect(fetched).toMatchObject({
      entries: [
        { key: "150", value: "v2" },
        { key: "160", value: "v1" },
      ],
      fetched: 4,
    });
    // Fenced between copy and delete: writes must wait.
    expect(c.route({ op: "PUT", key: "150", value: "lost?" }).reply).toMatchObject({
      error: { code: ErrorCode.TRY_AGAIN },
    });
    expect(c.route({ op: "GET_ONE", key: "50" }).reply).toStrictEqual({ key: "50", value: "stays" });

    expect(c.import("run-1", fetched.entries)).toStrictEqual({ ok: true, count: 2 });
    expect(c.commit("run-1", ["150", "160"])).toStrictEqual({ ok: true, count: 2 });
    expect(c.a.store.get("150")).toBeUndefined();
    expect(c.b.store.entry("150")?.version).toBe(versionOnA);

    // a now ASKs for the moved keys; b serves them to asking requests only.
    expectError(c.send("a", { op: "GET_ONE", key: "150" }), ErrorCode.ASK, "b");
    expect(c.send("b", { op: "GET_ONE", key: "150", asking: true })).toStrictEqual({
      key: "150",
      value: "v2",
    });
    expect(c.route({ op: "GET_ONE", key: "160" })).toStrictEqual({
      reply: { key: "160", value: "v1" },
      path: ["a", "b(asking)"],
    });
    expect(c.route({ op: "DELETE", key: "160" }).reply).toStrictEqual({ ok: true, deleted: true });
    expect(c.b.store.get("160")).toBeUndefined();

    // Nothing is left to sweep.
    expect(c.sweep("run-1")).toStrictEqual({ entries: [], fetched: 0 });

    c.end();
    expect([...c.a.store.scan(undefined)].map((e) => e.key)).toEqual(["250", "50"]);
    expect([...c.b.store.scan(undefined)].map((e) => e.key)).toEqual(["150", "170"]);
    // b now serves its keys directly, and a client still routing by the old placement is redirected.
    expect(c.send("b", { op: "GET_ONE", key: "150" })).toStrictEqual({ key: "150", value: "v2" });
    expect(c.route({ op: "GET_ONE", key: "150" }).path).toEqual(["a", "b"]);
    expectError(c.send("a", { op: "GET_ONE", key: "150" }), ErrorCode.WRONG_NODE, "b");
    expect(c.route({ op: "GET_ONE", key: "50" }, next).reply).toStrictEqual({ key: "50", value: "stays" });
  });

  it("moves a deletion made during the move as a tombstone, which deletes a copy already on b", () => {
    const c = new SimCluster();
    c.route({ op: "PUT", key: "150", value: "v1" });
    c.begin("run-1");
    c.import("run-1", c.fetch("run-1", ["150"]).entries);
    c.begin("run-2"); // run-1 died after its import; run-2 takes over and lifts its fences
    expect(c.b.store.get("150")).toBe("v1"); // the dead run's copy

    expect(c.route({ op: "DELETE", key: "150" }).reply).toStrictEqual({ ok: true, deleted: true });
    expect(c.a.cluster.migration?.hasTombstone("150")).toBe(true);
    const swept = c.sweep("run-2");
    expect(swept.entries).toStrictEqual([{ key: "150", deleted: true }]);
    expect(c.import("run-2", swept.entries)).toStrictEqual({ ok: true, count: 1 });
    expect(c.b.store.get("150")).toBeUndefined();
    expect(c.commit("run-2", ["150"])).toStrictEqual({ ok: true, count: 1 }); // the tombstone
    expect(c.a.cluster.migration?.hasTombstone("150")).toBe(false);
    expectError(c.send("a", { op: "GET_ONE", key: "150" }), ErrorCode.ASK, "b");
  });

  it("a PUT after a delete replaces the tombstone, so the new value moves", () => {
    const c = new SimCluster();
    c.route({ op: "PUT", key: "150", value: "v1" });
    c.begin("run-1");
    c.route({ op: "DELETE", key: "150" });
    expect(c.route({ op: "PUT", key: "150", value: "v2" }).path).toEqual(["a"]); // tombstone: still a's
    expect(c.a.cluster.migration?.hasTombstone("150")).toBe(false);
    expect(c.fetch("run-1", ["150"]).entries).toMatchObject([{ key: "150", value: "v2" }]);
  });

  it("a DELETE of a staying key leaves no tombstone", () => {
    const c = new SimCluster();
    c.route({ op: "PUT", key: "50", value: "v" });
    c.begin("run-1");
    expect(c.route({ op: "DELETE", key: "50" }).reply).toStrictEqual({ ok: true, deleted: true });
    expect(c.a.cluster.migration?.hasTombstone("50")).toBe(false);
    expect(c.sweep("run-1").entries).toStrictEqual([]);
  });
});
