import { ErrorCode } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { FakeCluster } from "./support/fake-cluster.js";

/**
 * During a rebalance a write must hold on w replicas of the current placement and on w of the
 * next (each key's replicas: a, b, c now; a, b, d next, d joining). Counted apart, not as w +
 * gained of the two together, which also refused writes that had both.
 */
describe("a write's quorum during a rebalance (n=3, w=2)", () => {
  let cluster: FakeCluster;
  afterEach(() => cluster?.close());

  function moving(): FakeCluster {
    cluster = new FakeCluster(["a", "b", "c", "d"]);
    cluster.migrate(["a", "b", "c"], ["a", "b", "d"]);
    return cluster;
  }

  it("is acknowledged with the joining node bootstrapping and the leaving one down: w of each placement hold it", async () => {
    moving();
    cluster.bootstrapping.add("d");
    cluster.announced.add("d");
    cluster.down.add("c");
    await cluster.get("a").write("k", "v");
    for (const id of ["a", "b", "d"]) expect(cluster.stores.get(id)!.get("k")?.value).toBe("v");
  });

  it("is acknowledged when the next placement's other replica is down and the joining node still bootstraps: its copy counts", async () => {
    moving();
    cluster.bootstrapping.add("d");
    cluster.announced.add("d");
    cluster.down.add("b");
    await cluster.get("a").write("k", "v");
    for (const id of ["a", "c", "d"]) expect(cluster.stores.get(id)!.get("k")?.value).toBe("v");
    // Reads still count only serving replicas (r + 1 of them during the move): d's missing
    // copies would mislead them, so with b down they are refused rather than answered wrong.
    await expect(cluster.get("a").read("k")).rejects.toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS });
    cluster.down.delete("b");
    await expect(cluster.get("a").read("k")).resolves.toMatchObject({ value: "v" });
  });

  it("is refused when the next placement has fewer than w reachable replicas, and nothing is written", async () => {
    moving();
    cluster.bootstrapping.add("d");
    cluster.announced.add("d");
    cluster.down.add("b").add("d");
    const refused = await cluster
      .get("a")
      .write("k", "v")
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.NOT_ENOUGH_REPLICAS });
    expect((refused as Error).message).toContain("of each placement");
    for (const store of cluster.stores.values()) expect(store.has("k")).toBe(false);
  });

  it("an acknowledged write is on w replicas of each placement, whoever is down, silent or bootstrapping (property)", async () => {
    const ids = ["a", "b", "c", "d", "e"];
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(ids, { minLength: 3, maxLength: 3 }),
        fc.shuffledSubarray(ids, { minLength: 3, maxLength: 3 }),
        fc.subarray(ids),
        fc.subarray(ids),
        fc.subarray(ids),
        async (current, next, down, silent, booting) => {
          const coordinator = current[0]!;
          cluster = new FakeCluster(ids);
          try {
            cluster.migrate(current, next);
            for (const id of down) if (id !== coordinator) cluster.down.add(id);
            for (const id of silent) if (id !== coordinator) cluster.silent.add(id);
            for (const id of booting) {
              cluster.bootstrapping.add(id);
              cluster.announced.add(id);
            }
            const written = await cluster
              .get(coordinator)
              .write("k", "v")
              .then(() => true)
              .catch((e: { code?: string }) => {
                expect([ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.QUORUM_TIMEOUT]).toContain(e.code);
                return false;
              });
            if (!written) return;
            // A bootstrapping replica's copy is as real as any: it keeps what it is sent.
            const holds = (id: string) => cluster.stores.get(id)!.get("k")?.value === "v";
            expect(current.filter(holds).length).toBeGreaterThanOrEqual(2);
            expect(next.filter(holds).length).toBeGreaterThanOrEqual(2);
          } finally {
            cluster.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
