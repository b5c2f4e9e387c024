import { copiesOfReplicate, ErrorCode, type Reply } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import type { PeerRequest } from "../src/replication/peer-links.js";
import { purgeTombstones } from "../src/replication/tombstones.js";
import { MemoryStore } from "../src/store/index.js";
import { HybridClock, newest, supersedes } from "../src/store/versions.js";
import { FakeCluster } from "./support/fake-cluster.js";

const versioned = fc.record({
  value: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
  version: fc.integer({ min: 0, max: 5 }),
});

describe("versions", () => {
  it("order copies totally: exactly one of two different copies supersedes the other", () => {
    fc.assert(
      fc.property(versioned, versioned, (a, b) => {
        const same = a.version === b.version && a.value === b.value;
        expect(supersedes(a, b) !== supersedes(b, a) || same).toBe(true);
        if (same) expect(supersedes(a, b)).toBe(false);
      }),
    );
  });

  it("pick the same newest copy whatever order replicas answer in", () => {
    fc.assert(
      fc.property(fc.array(versioned, { minLength: 1, maxLength: 6 }), (copies) => {
        expect(newest([...copies].reverse())).toEqual(newest(copies));
      }),
    );
  });

  it("the clock issues increasing versions, above anything observed, even if wall time goes back", () => {
    let now = 1_000;
    const clock = new HybridClock(() => now);
    const a = clock.next();
    now = 500;
    const b = clock.next();
    clock.observe(b + 1_000_000);
    const c = clock.next();
    expect(a < b && b < c && c > b + 1_000_000).toBe(true);
    expect(clock.next(c + 5)).toBe(c + 6);
  });

  it("the wall clock's versions increase within a turn, and follow the wall clock from turn to turn", async () => {
    // Date.now is read once per turn (a bulk PUT takes thousands of versions in one): each turn's
    // versions must still start at its own wall time, and a turn's be distinct and increasing.
    const clock = new HybridClock();
    for (let turn = 0; turn < 3; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const wall = Date.now();
      const versions = Array.from({ length: 1000 }, () => clock.next());
      expect(versions[0]).toBeGreaterThanOrEqual(wall * 1000);
      expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
    }
  });
});

describe("Replicator", () => {
  let cluster: FakeCluster;
  afterEach(() => cluster?.close());

  it("while n rises from 1 to 3, a new replica asked to read takes the copy from the old one", async () => {
    // Writes reach all three (w = 3); reads follow the old setting (n = 1: only a) until every
    // key is copied. b holds nothing yet: its own empty copy must not answer for the key.
    cluster = new FakeCluster(["a", "b", "c"], { n: 3, w: 3, r: 1 }, 1);
    cluster.get("a").applyCopy("k", { value: "before", version: 5 });
    expect((await cluster.get("b").read("k"))?.value).toBe("before");
    await cluster.get("b").write("k", "after");
    expect([...cluster.stores.values()].map((m) => m.get("k")?.value)).toEqual(["after", "after", "after"]);
    expect((await cluster.get("c").read("k"))?.value).toBe("after");
  });

  it("acknowledges a write once w replicas hold it, and hands it to a replica that was down", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    cluster.down.add("c");
    await cluster.get("a").write("k", "v1");
    expect(cluster.stores.get("b")!.get("k")?.value).toBe("v1");
    expect(cluster.stores.get("c")!.get("k")).toBeUndefined();
    expect(cluster.get("a").hints.pending()).toEqual({ c: 1 });
    cluster.down.delete("c");
    await cluster.get("a").hints.replay();
    expect(cluster.stores.get("c")!.get("k")?.value).toBe("v1");
    expect(cluster.get("a").hints.pending()).toEqual({});
  });

  it("refuses a write with fewer than w replicas up, and writes nothing anywhere", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    cluster.down.add("b").add("c");
    await expect(cluster.get("a").write("k", "v")).rejects.toMatchObject({
      code: ErrorCode.NOT_ENOUGH_REPLICAS,
    });
    for (const store of cluster.stores.values()) expect(store.size).toBe(0);
    await expect(cluster.get("a").write("k", "v", 1)).resolves.toMatchObject({ existed: false });
  });

  it("fails with QUORUM_TIMEOUT when replicas that look up do not answer", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    cluster.silent.add("b").add("c");
    await expect(cluster.get("a").write("k", "v")).rejects.toMatchObject({ code: ErrorCode.QUORUM_TIMEOUT });
  });

  it("refuses a quorum larger than the replica set", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await expect(cluster.get("a").write("k", "v", 4)).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
    });
  });

  it("reads the newest copy among r replicas and repairs the stale one", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    cluster.down.add("a");
    await cluster.get("b").write("k", "new");
    cluster.down.delete("a");
    cluster.stores.get("a")!.set("k", { value: "old", version: 1 });
    const read = await cluster.get("a").read("k", 3);
    expect(read?.value).toBe("new");
    expect(cluster.stores.get("a")!.get("k")?.value).toBe("new");
  });

  it("a deletion is a versioned tombstone that an older copy cannot undo", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await cluster.get("a").write("k", "v");
    const stale = cluster.stores.get("c")!.get("k")!;
    expect(await cluster.get("b").write("k", undefined)).toMatchObject({ existed: true });
    cluster.get("c").applyCopy("k", stale); // a late, older copy
    expect((await cluster.get("c").read("k", 3))?.value).toBeUndefined();
  });

  it("concurrent writers on different coordinators converge on one value everywhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.string({ maxLength: 4 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (writes) => {
          const c = new FakeCluster(["a", "b", "c"], { n: 3, w: 3, r: 1 });
          try {
            await Promise.all(writes.map(([coordinator, value]) => c.get(coordinator).write("k", value)));
            const finals = [...c.stores.values()].map((s) => s.get("k"));
            expect(new Set(finals.map((f) => JSON.stringify(f))).size).toBe(1);
          } finally {
            c.close();
          }
        },
      ),
    );
  });
});

describe("PeerBatcher", () => {
  it("coalesces one turn's copies per peer, in messages of at most 1000 entries", async () => {
    const sizes: number[] = [];
    const transport = {
      request: async (_peer: string, req: PeerRequest): Promise<Reply> => {
        if (req.op === "REPLICATE") sizes.push(copiesOfReplicate(req).length);
        return { ok: true };
      },
    };
    const batcher = new PeerBatcher(transport, 1000);
    await Promise.all(
      Array.from({ length: 2500 }, (_, i) => batcher.replicate("b", `k${i}`, { value: "v", version: i + 1 })),
    );
    expect(sizes).toEqual([1000, 1000, 500]);
  });
});

describe("purgeTombstones", () => {
  it("forgets deletions older than the ttl, unless a hint still has to deliver them", () => {
    const store = new MemoryStore();
    const nowMs = 10_000_000;
    store.apply("old", { value: undefined, version: (nowMs - 5000) * 1000 });
    store.apply("young", { value: undefined, version: (nowMs - 500) * 1000 });
    store.apply("hinted", { value: undefined, version: (nowMs - 5000) * 1000 });
    store.apply("live", { value: "v", version: (nowMs - 5000) * 1000 });
    expect(purgeTombstones(store, nowMs, 1000, (k) => k === "hinted")).toBe(1);
    expect(store.copy("old")).toBeUndefined();
    expect(store.copy("young")).toEqual({ value: undefined, version: (nowMs - 500) * 1000 });
    expect(store.copy("hinted")?.value).toBeUndefined();
    expect(store.get("live")).toBe("v");
  });
});
