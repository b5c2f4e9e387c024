import { ErrorCode, ZkvError } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ConditionalWrites } from "../src/replication/conditional.js";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import { Replicator } from "../src/replication/replicator.js";
import { MemoryStore } from "../src/store/index.js";
import { type Attempt, checkCounter, turns } from "./support/cas-counter.js";
import { FakeCluster } from "./support/fake-cluster.js";

describe("conditional writes with replication (n = 3, decided by the primary)", () => {
  let cluster: FakeCluster | undefined;
  afterEach(() => cluster?.close());

  it("a replica other than the primary answers WRONG_NODE naming the primary", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    const failure = await cluster.conditionals
      .get("b")!
      .write({ op: "PUT", key: "k", value: "v", ifAbsent: true })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ZkvError);
    expect(failure).toMatchObject({ code: ErrorCode.WRONG_NODE, owner: "a" });
  });

  it("concurrent CAS writers through random coordinators: exactly one winner per version (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.nat(3)), { minLength: 1, maxLength: 20 }),
        async (writers, plan) => {
          const c = new FakeCluster(["a", "b", "c"]);
          try {
            const attempts: Attempt[] = [];
            let step = 0;
            const next = () => plan[step++ % plan.length]!;
            await Promise.all(
              Array.from({ length: writers }, async () => {
                for (;;) {
                  const [reader, delay] = next();
                  const read = await c.get(reader).read("n");
                  await turns(delay);
                  const value = String(Number(read?.value ?? "0") + 1);
                  const condition = read === undefined ? { ifAbsent: true } : { ifVersion: read.version };
                  const request = { op: "PUT" as const, key: "n", value, ...condition };
                  // Like the client: a WRONG_NODE from a non-primary is followed to the owner it names.
                  let coordinator: string = next()[0];
                  let won: boolean;
                  for (;;) {
                    const outcome = await c.conditionals
                      .get(coordinator)!
                      .write(request)
                      .then(
                        () => "won" as const,
                        (e: ZkvError) => e,
                      );
                    if (outcome instanceof ZkvError && outcome.code === ErrorCode.WRONG_NODE) {
                      coordinator = outcome.owner!;
                      continue;
                    }
                    if (outcome instanceof ZkvError && outcome.code !== ErrorCode.CONFLICT) throw outcome;
                    won = outcome === "won";
                    break;
                  }
                  attempts.push({ expected: read?.version ?? "absent", won });
                  if (won) return;
                }
              }),
            );
            const final = await c.get("b").read("n", 3);
            checkCounter(attempts, writers, final?.value);
            expect(c.conditionals.get("a")!.pending).toBe(0);
          } finally {
            c.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("fails while the primary is unreachable from the client, rather than being decided elsewhere", async () => {
    cluster = new FakeCluster(["a", "b", "c"]);
    // b and c never decide; the only decider is a, whatever a client sends where.
    for (const id of ["b", "c"]) {
      await expect(
        cluster.conditionals.get(id)!.write({ op: "PUT", key: "k", value: "v", ifVersion: 1 }),
      ).rejects.toMatchObject({ code: ErrorCode.WRONG_NODE });
    }
  });

  it("carries expiresAt to every replica with the write", async () => {
    cluster = new FakeCluster(["a", "b", "c"], { n: 3, w: 3, r: 1 });
    const expiresAt = Date.now() + 60_000;
    await cluster.conditionals
      .get("a")!
      .write({ op: "PUT", key: "k", value: "v", ifAbsent: true, expiresAt });
    for (const id of ["a", "b", "c"]) expect(cluster.stores.get(id)!.get("k")?.expiresAt).toBe(expiresAt);
  });

  it("a full primary that reclaims expired keys for a conditional write leaves tombstones, so an older copy cannot come back", async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const replicator = new Replicator({
      self: "a",
      store,
      peers: { isUp: () => true, isServing: () => true },
      batcher: new PeerBatcher({ request: async () => ({ ok: true }) }, 100),
      replicasOf: () => ["a"],
      settings: () => ({ n: 1, w: 1, r: 1 }),
      timeoutMs: 100,
      clock: store.clock,
      now: () => now,
    });
    // A budget of 30 bytes, full of three entries of 10 that expire in a second.
    const conditional = new ConditionalWrites({
      self: "a",
      primaryOf: () => "a",
      replicator,
      store,
      maxBytes: 30,
    });
    try {
      for (const k of ["k1", "k2", "k3"]) await replicator.write(k, "12345678", 1, now + 1000);
      const expiring = store.copy("k1")!;
      now += 2000;
      await conditional.write({ op: "PUT", key: "k4", value: "12345678", ifAbsent: true });
      expect(store.bytes).toBe(10); // the expired ones were reclaimed to make room
      expect(store.copy("k1")).toEqual({ value: undefined, version: expiring.version });
      // A replica that missed the expiring write still holds an older copy that never expires:
      // read repair must not bring it back over the reclaimed one.
      expect(store.apply("k1", { value: "stale", version: expiring.version - 1 })).toBe(false);
      expect(store.get("k1")).toBeUndefined();
    } finally {
      replicator.close();
    }
  });
});
