import { createPlacement } from "@zkv/hashring";
import { ErrorCode } from "@zkv/protocol";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { TreeKeeper } from "../src/anti-entropy/tree-keeper.js";
import { ClusterView } from "../src/cluster/ownership.js";
import { MemoryStore } from "../src/store/index.js";

const placement = createPlacement("ring", ["a", "b", "c"]);

/**
 * Node a of a 3-node cluster with n=2 holding `keys` keys, its trees following its writes. Slices
 * of a large build are one chunk each, so their number does not hang on this machine's speed.
 */
function node(keys: number) {
  const cluster = new ClusterView("a");
  cluster.setPlacement(4, placement);
  cluster.setReplication({ n: 2, w: 2, readN: 2, r: 2, nextN: 2, tag: undefined, changing: false });
  const trees = new RangeTrees();
  const store = new TrackedStore(new MemoryStore(), (k, before, after) => trees.update(k, before, after));
  for (let i = 0; i < keys; i++) store.put(`key-${i}`, `value-${i}`);
  const keeper = new TreeKeeper({ store, trees, cluster, logger: pino({ level: "silent" }), sliceMs: 0 });
  return { cluster, trees, store, keeper };
}

/** Every range's root: trees with equal roots everywhere hold the same keys at the same versions. */
function roots(trees: RangeTrees): string[] {
  const ids = ["a", "b", "c", "d"];
  const pairs = ids.flatMap((x, i) => ids.slice(i + 1).map((y) => [x, y]));
  return pairs.map((p) => trees.tree(p)?.summary(0, 0).join(":") ?? "-");
}

describe("TreeKeeper", () => {
  it("answers TRY_AGAIN before the node knows the placement, and builds nothing", () => {
    const trees = new RangeTrees();
    const cluster = new ClusterView("a");
    const keeper = new TreeKeeper({
      store: new MemoryStore(),
      trees,
      cluster,
      logger: pino({ level: "silent" }),
    });
    expect(() => keeper.current()).toThrow(expect.objectContaining({ code: ErrorCode.TRY_AGAIN }));
    expect(trees.building).toBeUndefined();
  });

  it("builds a small store's trees at once", () => {
    const { keeper, trees } = node(100);
    expect(keeper.current()).toBe(4);
    expect(trees.building).toBeUndefined();
  });

  it("builds a large store's trees a slice at a time, the node serving between slices, exact under writes", async () => {
    const { keeper, trees, store } = node(60_000);
    expect(() => keeper.current()).toThrow(expect.objectContaining({ code: ErrorCode.TRY_AGAIN }));
    const building = keeper.building!;
    expect(building).toBeDefined();
    // Requests served while it builds: each turn of the event loop a write and a read.
    let turns = 0;
    let writing = true;
    const serve = () => {
      if (!writing) return;
      turns++;
      store.put(`key-${turns % 70_000}`, `new-${turns}`);
      store.get(`key-${turns}`);
      setImmediate(serve);
    };
    setImmediate(serve);
    await building;
    writing = false;
    expect(turns).toBeGreaterThan(10);
    expect(keeper.current()).toBe(4);
    const once = new RangeTrees();
    once.rebuild(4, placement, 2, store);
    expect(roots(trees)).toEqual(roots(once));
  });

  it("starts over for a placement that moved on mid-build", async () => {
    const { keeper, trees, cluster, store } = node(60_000);
    expect(() => keeper.current()).toThrow(expect.objectContaining({ code: ErrorCode.TRY_AGAIN }));
    const next = createPlacement("ring", ["a", "b", "c", "d"]);
    cluster.setPlacement(5, next);
    expect(() => keeper.current()).toThrow(expect.objectContaining({ code: ErrorCode.TRY_AGAIN }));
    await keeper.building;
    expect(keeper.current()).toBe(5);
    const once = new RangeTrees();
    once.rebuild(5, next, 2, store);
    expect(roots(trees)).toEqual(roots(once));
  });
});
