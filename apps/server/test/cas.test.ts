import { DEFAULT_LIMITS, ErrorCode, type Reply, ZkvError } from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ConditionalWrites } from "../src/replication/conditional.js";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import { Replicator } from "../src/replication/replicator.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { answerNow } from "./helpers.js";
import { FakeCluster } from "./support/fake-cluster.js";

/** A few turns of the event loop's microtask queue: where another writer can get in. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** What one writer's read-version-then-CAS loop saw: every attempt and whether it won. */
interface Attempt {
  readonly expected: number | "absent";
  readonly won: boolean;
}

/**
 * W writers each add 1 to a counter with read-version-then-CAS, retrying on CONFLICT. With a
 * correct CAS every increment lands exactly once (the final count is W), and no two attempts
 * that expected the same version both win.
 */
function checkCounter(attempts: readonly Attempt[], writers: number, final: string | undefined): void {
  expect(final).toBe(String(writers));
  const winners = new Map<string, number>();
  for (const a of attempts)
    if (a.won) winners.set(String(a.expected), (winners.get(String(a.expected)) ?? 0) + 1);
  for (const count of winners.values()) expect(count).toBe(1);
  expect([...winners.values()].reduce((x, y) => x + y, 0)).toBe(writers);
}

describe("conditional writes on one node (n = 1)", () => {
  const ctx = (): HandlerContext => ({ nodeId: "n", store: new MemoryStore(), limits: DEFAULT_LIMITS });

  it("put-if-absent writes once; the second gets CONFLICT naming the version", () => {
    const c = ctx();
    const first = answerNow({ op: "PUT", key: "k", value: "a", ifAbsent: true }, c) as { version: number };
    expect(first).toEqual({ ok: true, version: expect.any(Number) });
    const second = answerNow({ op: "PUT", key: "k", value: "b", ifAbsent: true }, c);
    expect(second).toMatchObject({ error: { code: ErrorCode.CONFLICT } });
    expect(JSON.stringify(second)).toContain(`version ${first.version}`);
    expect(c.store.get("k")).toBe("a");
  });

  it("compare-and-set writes only at the expected version, and says the current one", () => {
    const c = ctx();
    const { version } = answerNow({ op: "PUT", key: "k", value: "a", withVersion: true }, c) as {
      version: number;
    };
    expect(answerNow({ op: "GET_ONE", key: "k", withVersion: true }, c)).toEqual({
      key: "k",
      value: "a",
      version,
    });
    const stale = answerNow({ op: "PUT", key: "k", value: "x", ifVersion: version - 1 }, c);
    expect(stale).toMatchObject({
      error: { code: ErrorCode.CONFLICT, message: expect.stringContaining(`${version}`) },
    });
    const won = answerNow({ op: "PUT", key: "k", value: "b", ifVersion: version }, c) as { version: number };
    expect(won.version).toBeGreaterThan(version);
    expect(answerNow({ op: "PUT", key: "gone", value: "x", ifVersion: 1 }, c)).toMatchObject({
      error: { code: ErrorCode.CONFLICT, message: expect.stringContaining("does not exist") },
    });
  });

  it("an expired key is absent to conditions: put-if-absent succeeds, a CAS on it conflicts", () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    const c: HandlerContext = { nodeId: "n", store, limits: DEFAULT_LIMITS };
    const { version } = answerNow({ op: "PUT", key: "lock", value: "a", ttl: 1, ifAbsent: true }, c) as {
      version: number;
    };
    expect(answerNow({ op: "PUT", key: "lock", value: "b", ifAbsent: true }, c)).toMatchObject({
      error: { code: ErrorCode.CONFLICT },
    });
    now += 1000;
    expect(answerNow({ op: "PUT", key: "lock", value: "x", ifVersion: version }, c)).toMatchObject({
      error: { code: ErrorCode.CONFLICT },
    });
    expect(answerNow({ op: "PUT", key: "lock", value: "b", ifAbsent: true }, c)).toMatchObject({ ok: true });
  });

  it("a failed condition in a BATCH fails only its own element", () => {
    const c = ctx();
    const reply = answerNow(
      {
        op: "BATCH",
        ops: [
          { op: "PUT", key: "k", value: "1", ifAbsent: true },
          { op: "PUT", key: "k", value: "2", ifAbsent: true },
          { op: "GET_ONE", key: "k" },
        ],
      },
      c,
    ) as { results: Reply[] };
    expect(reply.results[0]).toMatchObject({ ok: true });
    expect(reply.results[1]).toMatchObject({ error: { code: ErrorCode.CONFLICT } });
    expect(reply.results[2]).toEqual({ key: "k", value: "1" });
  });

  it("concurrent read-version-then-CAS writers: exactly one winner per version (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.nat(4), { minLength: 1, maxLength: 30 }),
        async (writers, delays) => {
          const c = ctx();
          const attempts: Attempt[] = [];
          let d = 0;
          const pause = () => turns(delays[d++ % delays.length]!);
          await Promise.all(
            Array.from({ length: writers }, async () => {
              for (;;) {
                const read = answerNow({ op: "GET_ONE", key: "n", withVersion: true }, c) as {
                  value?: string;
                  version?: number;
                };
                await pause();
                const next = String(Number(read.value ?? "0") + 1);
                const condition =
                  read.version === undefined ? { ifAbsent: true } : { ifVersion: read.version };
                const reply = answerNow({ op: "PUT", key: "n", value: next, ...condition }, c);
                const won = !("error" in reply);
                attempts.push({ expected: read.version ?? "absent", won });
                if (won) return;
                await pause();
              }
            }),
          );
          checkCounter(attempts, writers, c.store.get("n"));
        },
      ),
    );
  });
});

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
