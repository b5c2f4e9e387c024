import { DEFAULT_LIMITS, ErrorCode, type PlacementSpec } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { handleNow, thrown } from "./helpers.js";

describe("cluster ops through handleRequest", () => {
  // The wire form cannot carry the test's hash, so these use real placements; none of the
  // assertions depend on where a key lands.
  const spec = (...ids: string[]): PlacementSpec => ({
    hashing: "ring",
    members: ids.map((id) => ({ id, weight: 1 })),
  });

  function ctx(nodeId = "a"): HandlerContext & { cluster: ClusterView } {
    return { nodeId, store: new MemoryStore(), limits: DEFAULT_LIMITS, cluster: new ClusterView(nodeId) };
  }

  it("are refused on a node outside a managed cluster", () => {
    const plain: HandlerContext = { nodeId: "a", store: new MemoryStore(), limits: DEFAULT_LIMITS };
    const err = thrown(() => handleNow({ op: "MIGRATE_FETCH", run: "r", keys: [] }, plain));
    expect(err.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(err.field).toBe("op");
  });

  it("MIGRATION begin needs a current placement on a node that knows none", () => {
    const err = thrown(() =>
      handleNow({ op: "MIGRATION", phase: "begin", run: "r", epoch: 0, placement: spec("a", "b") }, ctx("b")),
    );
    expect(err.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(err.field).toBe("current");
  });

  it("MIGRATION begin starts a migration, an older one is refused, and end adopts the placement", () => {
    const c = ctx("b");
    const begin = {
      op: "MIGRATION",
      phase: "begin",
      run: "r1",
      epoch: 4,
      placement: spec("a", "b"),
      current: spec("a"),
      id: 7,
    } as const;
    expect(handleNow(begin, c)).toStrictEqual({ ok: true, node: "b", id: 7 });
    expect(c.cluster.migration?.run).toBe("r1");
    expect(c.cluster.epoch).toBe(4);
    expect(c.cluster.placement?.nodes).toEqual(["a"]);

    const old = thrown(() => handleNow({ ...begin, epoch: 3 }, c));
    expect(old.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(old.field).toBe("epoch");

    expect(handleNow({ ...begin, run: "r2" }, c)).toStrictEqual({ ok: true, node: "b", id: 7 });
    expect(c.cluster.migration?.run).toBe("r2");

    const end = { op: "MIGRATION", phase: "end", run: "r2", epoch: 5, placement: spec("a", "b") } as const;
    expect(handleNow(end, c)).toStrictEqual({ ok: true, node: "b" });
    expect(c.cluster.migration).toBeUndefined();
    expect(c.cluster.epoch).toBe(5);
    expect(c.cluster.placement?.nodes).toEqual(["a", "b"]);
  });

  it("MIGRATE_FETCH and MIGRATE_COMMIT need the active run", () => {
    const c = ctx();
    const none = thrown(() => handleNow({ op: "MIGRATE_COMMIT", run: "r1", keys: [] }, c));
    expect(none.code).toBe(ErrorCode.INVALID_REQUEST);
    handleNow(
      { op: "MIGRATION", phase: "begin", run: "r1", epoch: 0, placement: spec("a", "b"), current: spec("a") },
      c,
    );
    const other = thrown(() => handleNow({ op: "MIGRATE_FETCH", run: "r0", sweep: true }, c));
    expect(other.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(other.field).toBe("run");
    expect(handleNow({ op: "MIGRATE_FETCH", run: "r1", id: "x" }, c)).toStrictEqual({
      entries: [],
      fetched: 0,
      id: "x",
    });
  });

  it("IMPORT stores values and applies deletions", () => {
    const c = ctx("b");
    handleNow(
      { op: "MIGRATION", phase: "begin", run: "r1", epoch: 0, placement: spec("a", "b"), current: spec("a") },
      c,
    );
    c.store.put("gone", "stale");
    expect(
      handleNow(
        {
          op: "IMPORT",
          run: "r1",
          entries: [
            { key: "k", value: "v" },
            { key: "gone", deleted: true },
            { key: "never-here", deleted: true },
          ],
        },
        c,
      ),
    ).toStrictEqual({ ok: true, count: 3 });
    expect(c.store.get("k")).toBe("v");
    expect(c.store.get("gone")).toBeUndefined();
  });
});
