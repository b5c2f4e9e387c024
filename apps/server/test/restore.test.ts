import { DEFAULT_LIMITS, ErrorCode, type PutRequest } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { newest, supersedes, type Versioned } from "../src/store/versions.js";
import { answerNow } from "./helpers.js";
import { FakeCluster } from "./support/fake-cluster.js";

/** A restore PUT (what `zkv import` sends) of `copy`, which must hold a value. */
function restore(key: string, copy: Versioned): PutRequest {
  const request: PutRequest = { op: "PUT", key, value: copy.value!, version: copy.version };
  if (copy.expiresAt !== undefined) request.expiresAt = copy.expiresAt;
  return request;
}

const FAR = 4_000_000_000_000; // ms: an expiry well after any test runs

describe("restore (PUT with version) on one node", () => {
  const ctx = (): HandlerContext => ({ nodeId: "n", store: new MemoryStore(), limits: DEFAULT_LIMITS });

  it("stores the value at its own version and absolute expiry, issuing no new version", () => {
    const c = ctx();
    const reply = answerNow(restore("k", { value: "v", version: 42, expiresAt: FAR }), c);
    expect(reply).toEqual({ ok: true, version: 42, applied: true });
    expect(answerNow({ op: "GET_ONE", key: "k", withVersion: true }, c)).toEqual({
      key: "k",
      value: "v",
      version: 42,
      expiresAt: FAR,
    });
  });

  it("keeps a newer stored value: an older backup changes nothing, and says so", () => {
    const c = ctx();
    const { version } = answerNow({ op: "PUT", key: "k", value: "new", withVersion: true }, c) as {
      version: number;
    };
    expect(answerNow(restore("k", { value: "old", version: version - 1 }), c)).toEqual({
      ok: true,
      version,
      applied: false,
    });
    expect(c.store.get("k")).toBe("new");
    // Later writes still get versions above a restored one.
    answerNow(restore("k", { value: "newer", version: version + 1000 }), c);
    const next = answerNow({ op: "PUT", key: "k", value: "after", withVersion: true }, c) as {
      version: number;
    };
    expect(next.version).toBeGreaterThan(version + 1000);
  });

  it("needs no room to change nothing: a full node still answers an older restore", () => {
    const c: HandlerContext = { ...ctx(), maxBytes: 10 };
    answerNow({ op: "PUT", key: "k1", value: "12345678" }, c);
    const held = c.store.copy("k1")!;
    expect(answerNow(restore("k1", { value: "123456789", version: held.version - 1 }), c)).toMatchObject({
      applied: false,
    });
    expect(answerNow(restore("k2", { value: "x", version: 1 }), c)).toMatchObject({
      error: { code: ErrorCode.OUT_OF_MEMORY },
    });
  });
});

/**
 * Copies of one key. A version and value fix the expiry (one write set all three: versions.ts),
 * so the expiry is derived from them, and some copies expire while others do not.
 */
const copyArb = fc
  .record({ value: fc.string({ maxLength: 3 }), version: fc.integer({ min: 0, max: 6 }) })
  .map((c): Versioned => ((c.version + c.value.length) % 2 === 0 ? { ...c, expiresAt: FAR + c.version } : c));

describe("the newer-wins merge of a restore (property)", () => {
  it("ends on the newest copy whatever the order, a kept tombstone included, and applies exactly the copies newer than the one held", () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        fc.array(copyArb, { minLength: 1, maxLength: 8 }),
        (tombstone, copies) => {
          const finals = [copies, [...copies].reverse()].map((order) => {
            const store = new MemoryStore();
            // A deletion on a replicated cluster keeps its version as a tombstone.
            if (tombstone !== undefined) store.apply("k", { value: undefined, version: tombstone });
            const c: HandlerContext = { nodeId: "n", store, limits: DEFAULT_LIMITS };
            for (const copy of order) {
              const before = store.copy("k");
              const reply = answerNow(restore("k", copy), c) as { applied: boolean; version: number };
              expect(reply.applied).toBe(supersedes(copy, before));
              expect(reply.version).toBe(store.copy("k")!.version);
            }
            return store.copy("k");
          });
          const initial = tombstone === undefined ? [] : [{ value: undefined, version: tombstone }];
          expect(finals[0]).toEqual(newest([...initial, ...copies]));
          expect(finals[1]).toEqual(finals[0]);
        },
      ),
    );
  });
});

describe("restore with replication (n = 3)", () => {
  let cluster: FakeCluster | undefined;
  afterEach(() => cluster?.close());

  it("puts the restored copy, version and expiry, on every replica", async () => {
    cluster = new FakeCluster(["a", "b", "c"], { n: 3, w: 3, r: 1 });
    const copy = { value: "v", version: 42, expiresAt: FAR };
    expect(await cluster.get("b").restore("k", copy)).toEqual({ applied: true, version: 42 });
    for (const id of ["a", "b", "c"]) expect(cluster.stores.get(id)!.get("k")).toEqual(copy);
  });

  it("never replaces a newer copy or a newer deletion on any replica, and repairs one that lacks the key with the newer copy", async () => {
    cluster = new FakeCluster(["a", "b", "c"], { n: 3, w: 3, r: 1 });
    await cluster.get("a").write("k", "new");
    await cluster.get("a").write("gone", "v");
    await cluster.get("a").write("gone", undefined);
    cluster.stores.get("c")!.delete("k"); // c lost its copy
    const newCopy = cluster.stores.get("a")!.get("k")!;
    expect(await cluster.get("a").restore("k", { value: "old", version: newCopy.version - 1 })).toEqual({
      applied: false,
      version: newCopy.version,
    });
    for (const id of ["a", "b", "c"]) expect(cluster.stores.get(id)!.get("k")).toEqual(newCopy);
    const tombstone = cluster.stores.get("b")!.get("gone")!;
    await cluster.get("b").restore("gone", { value: "v", version: tombstone.version - 1 });
    for (const id of ["a", "b", "c"]) expect(cluster.stores.get(id)!.get("gone")?.value).toBeUndefined();
  });

  it("hints a replica that is down, like any write", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    cluster.down.add("c");
    await cluster.get("a").restore("k", { value: "v", version: 7 });
    expect(cluster.get("a").hints.pending()).toEqual({ c: 1 });
    cluster.down.delete("c");
    await cluster.get("a").hints.replay();
    expect(cluster.stores.get("c")!.get("k")).toEqual({ value: "v", version: 7 });
  });
});
