import { ErrorCode } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { awaitQuorum, countable } from "../src/replication/quorum.js";
import type { Versioned } from "../src/store/versions.js";
import { FakeCluster } from "./support/fake-cluster.js";

/** How one replica answers a quorum wait: counted, answered without counting, failed, or never. */
const answerKind = fc.constantFrom("counted", "uncounted", "failed", "silent");
type AnswerKind = "counted" | "uncounted" | "failed" | "silent";

function answer(kind: AnswerKind): Promise<boolean> {
  if (kind === "counted") return Promise.resolve(true);
  if (kind === "uncounted") return Promise.resolve(false);
  if (kind === "failed") return Promise.reject(new Error("down"));
  return new Promise(() => {});
}

describe("quorum counting with bootstrapping replicas", () => {
  it("reaches a quorum exactly when enough answers count, and says whether it timed out", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(answerKind, { maxLength: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (kinds, needed) => {
          const requests = new Map(kinds.map((k, i) => [`r${i}`, answer(k)] as const));
          const outcome = await awaitQuorum(requests, needed, 20, undefined, (counts) => counts);
          const counted = kinds.filter((k) => k === "counted").length;
          const uncounted = kinds.filter((k) => k === "uncounted").length;
          expect(outcome.ok).toBe(counted >= needed);
          if (outcome.ok) return;
          // It stops as soon as the quorum is out of reach, so it may not have seen every answer.
          expect(outcome.uncounted).toBeLessThanOrEqual(uncounted);
          expect(outcome.answers.size - outcome.uncounted).toBeLessThan(needed);
          // Only replicas that never answer can keep a hopeless wait going until the deadline.
          const hopeful = kinds.filter((k) => k === "counted" || k === "silent").length >= needed;
          expect(outcome.timedOut).toBe(hopeful);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts this node if it serves, and each up peer that serves", () => {
    const peers = { isUp: (p: string) => p !== "c", isServing: (p: string) => p !== "b" };
    expect(countable(true, ["b", "c", "d"], peers)).toEqual({
      up: ["b", "d"],
      bootstrapping: ["b"],
      count: 2,
    });
    expect(countable(false, ["b", "c", "d"], peers).count).toBe(1);
  });
});

describe("a coordinator with bootstrapping replicas (n=3, w=2, r=2)", () => {
  let cluster: FakeCluster;
  afterEach(() => cluster?.close());

  /** `ids` restarted empty: their copies gone, bootstrapping; announced in Consul when asked. */
  function restartEmpty(ids: string[], announce: boolean) {
    for (const id of ids) {
      cluster.stores.get(id)!.clear();
      cluster.bootstrapping.add(id);
      if (announce) cluster.announced.add(id);
    }
  }

  it("a bootstrapping coordinator asks two serving replicas instead of answering from its empty store", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await cluster.get("a").write("k", "v");
    restartEmpty(["a"], true);
    expect((await cluster.get("a").read("k"))?.value).toBe("v");
    // ...and its read repaired it.
    expect(cluster.stores.get("a")!.get("k")?.value).toBe("v");
  });

  it("refuses a read whose only other live replica is bootstrapping: NOT_ENOUGH_REPLICAS, never NOT_FOUND", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await cluster.get("a").write("k", "v");
    cluster.down.add("c");
    for (const announced of [true, false]) {
      cluster.announced.clear();
      restartEmpty(["b"], announced); // unannounced: Consul still shows b's old incarnation, serving
      await expect(cluster.get("b").read("k")).rejects.toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS });
      const other = await cluster
        .get("a")
        .read("k")
        .catch((e: unknown) => e);
      expect(other).toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS });
      expect((other as Error).message).toContain("b bootstrapping");
    }
  });

  it("counts a bootstrapping replica's ack toward w (its copy is real) but never its answer to a read", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await cluster.get("a").write("k", "v1");
    restartEmpty(["b"], true);
    cluster.down.add("c");
    // a and b hold it: acknowledged, though b is still taking its copies from the others.
    await cluster.get("a").write("k", "v2");
    expect(cluster.stores.get("b")!.get("k")?.value).toBe("v2");
    await cluster.get("b").write("j", "1"); // a bootstrapping coordinator's own copy counts too
    expect(cluster.stores.get("a")!.get("j")?.value).toBe("1");
    // A read needs two serving replicas: b's empty store must not answer for the keys it lacks.
    await expect(cluster.get("a").read("k")).rejects.toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS });
    cluster.down.delete("c");
    expect((await cluster.get("c").read("k"))?.value).toBe("v2");
  });

  it("refuses a write that fewer than w reachable replicas would hold, and writes nothing", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    restartEmpty(["b"], true);
    cluster.down.add("b").add("c");
    await expect(cluster.get("a").write("k", "v")).rejects.toMatchObject({
      code: ErrorCode.NOT_ENOUGH_REPLICAS,
    });
    for (const store of cluster.stores.values()) expect(store.has("k")).toBe(false);
    cluster.down.delete("b");
    cluster.silent.add("b"); // up by every sign, but it never answers
    await expect(cluster.get("a").write("k", "w")).rejects.toMatchObject({ code: ErrorCode.QUORUM_TIMEOUT });
  });

  it("asks replicas Consul still shows bootstrapping before refusing a read: once they serve, reads go through", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    await cluster.get("a").write("k", "v");
    // A launch: b and c have bootstrapped and said so, and a's watch of Consul has not caught up.
    cluster.announced.add("b").add("c");
    expect((await cluster.get("a").read("k"))?.value).toBe("v");
  });

  it("asks again a replica that answered it was bootstrapping, once a read is refused for want of it", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    restartEmpty(["b"], true);
    await cluster.get("a").write("k", "v1"); // b takes it, answering that it bootstraps
    cluster.down.add("c");
    // b finishes, and Consul says so; a remembers b's answer, and a read refused before it is
    // sent tells a nothing new: without asking, every read would be refused while c is down.
    cluster.bootstrapping.delete("b");
    cluster.announced.delete("b");
    expect((await cluster.get("a").read("k"))?.value).toBe("v1");
  });

  it("never reads NOT_FOUND for an acknowledged key, whichever replicas restarted empty (property)", async () => {
    const ids = ["a", "b", "c"];
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(ids),
        fc.constantFrom(...ids),
        fc.boolean(),
        fc.subarray(ids, { maxLength: 1 }),
        async (emptied, coordinator, announce, down) => {
          cluster = new FakeCluster(ids);
          try {
            await cluster.get("a").write("k", "v");
            restartEmpty(emptied, announce);
            for (const d of down) if (d !== coordinator) cluster.down.add(d);
            const read = await cluster
              .get(coordinator)
              .read("k")
              .catch((e: unknown) => e);
            if (read instanceof Error) {
              expect((read as { code?: string }).code).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
            } else {
              expect((read as Versioned | undefined)?.value).toBe("v");
            }
          } finally {
            cluster.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
