import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LIMITS } from "@zkv/protocol";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { getAllPage } from "../src/requests/get-all.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { ExpiryIndex } from "../src/store/expiry-index.js";
import { DurableStore, MemoryStore, Reclaimer } from "../src/store/index.js";
import { answerNow } from "./helpers.js";

/** A clock a test moves by hand. */
function manualClock(start = 1_700_000_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

const root = mkdtempSync(join(tmpdir(), "zkv-ttl-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("ExpiryIndex", () => {
  it("hands out expired keys earliest second first, each once, and forgets replaced expiries", () => {
    const index = new ExpiryIndex();
    index.set("a", 5_500);
    index.set("b", 2_100);
    index.set("c", 2_900);
    index.set("d", 9_000);
    index.set("c", 7_000); // refreshed: its 2_900 entry must not come back
    expect(index.take(2_000, 10)).toEqual([]);
    expect(index.take(3_000, 10)).toEqual(["b"]);
    expect(index.take(6_000, 10)).toEqual(["a"]);
    index.delete("d");
    expect(index.take(100_000, 10)).toEqual(["c"]);
    expect(index.size).toBe(0);
  });

  it("stops at `max`, leaving the rest for the next call", () => {
    const index = new ExpiryIndex();
    for (let i = 0; i < 10; i++) index.set(`k${i}`, 1_000 + i);
    expect(index.take(5_000, 4)).toHaveLength(4);
    expect(index.take(5_000, 100)).toHaveLength(6);
  });

  it("leaves the unexpired keys of the current second", () => {
    const index = new ExpiryIndex();
    index.set("early", 1_100);
    index.set("late", 1_900);
    expect(index.take(1_500, 10)).toEqual(["early"]);
    expect(index.take(1_900, 10)).toEqual(["late"]);
  });
});

/** One step of the TTL model test. */
type Step =
  | { kind: "put"; key: string; value: string; ttlMs: number | undefined }
  | { kind: "delete"; key: string }
  | { kind: "advance"; ms: number }
  | { kind: "reclaim"; max: number };

const keyArb = fc.constantFrom("a", "b", "c", "d");
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant("put" as const),
    key: keyArb,
    value: fc.string({ maxLength: 3 }),
    ttlMs: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant("delete" as const), key: keyArb }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({ kind: fc.constant("reclaim" as const), max: fc.integer({ min: 1, max: 3 }) }),
);

describe("TTL visibility (property, injected clock)", () => {
  it("GET_ONE, GET_ALL and DELETE see exactly the model's unexpired keys, whatever reclaim has done", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const clock = manualClock();
        const store = new MemoryStore({ now: clock.now });
        const ctx: HandlerContext = { nodeId: "n", store, limits: DEFAULT_LIMITS };
        const model = new Map<string, { value: string; expiresAt: number | undefined }>();
        const live = (k: string) => {
          const e = model.get(k);
          return e !== undefined && (e.expiresAt === undefined || e.expiresAt > clock.t) ? e : undefined;
        };
        for (const step of steps) {
          if (step.kind === "put") {
            const ttl = step.ttlMs === undefined ? {} : { ttl: step.ttlMs / 1000 };
            expect(answerNow({ op: "PUT", key: step.key, value: step.value, ...ttl }, ctx)).toEqual({
              ok: true,
            });
            const expiresAt = step.ttlMs === undefined ? undefined : clock.t + step.ttlMs;
            model.set(step.key, { value: step.value, expiresAt });
          } else if (step.kind === "delete") {
            const reply = answerNow({ op: "DELETE", key: step.key }, ctx);
            expect(reply).toEqual({ ok: true, deleted: live(step.key) !== undefined });
            model.delete(step.key);
          } else if (step.kind === "advance") clock.t += step.ms;
          else store.reclaim(step.max, false);
          for (const key of ["a", "b", "c", "d"]) {
            const want = live(key);
            const got = answerNow({ op: "GET_ONE", key, withVersion: true }, ctx);
            if (want === undefined) expect(got).toMatchObject({ error: { code: "NOT_FOUND" } });
            else {
              const expiry = want.expiresAt === undefined ? {} : { expiresAt: want.expiresAt };
              expect(got).toEqual({ key, value: want.value, version: expect.any(Number), ...expiry });
            }
          }
          const listed = getAllPage({ op: "GET_ALL" }, ctx).collection.map((e) => e.key);
          expect(listed).toEqual(["a", "b", "c", "d"].filter((k) => live(k) !== undefined));
          // STATS may lag (expired entries count until reclaimed), never the other way round.
          const liveCount = listed.length;
          expect(store.size).toBeGreaterThanOrEqual(liveCount);
        }
        // A full reclaim makes the counts exact.
        while (store.reclaim(100, false) > 0);
        expect(store.size).toBe(["a", "b", "c", "d"].filter((k) => live(k) !== undefined).length);
      }),
    );
  });

  it("expiresAt is absolute: the same instant whoever computes it, and a past one is invisible at once", () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    const ctx: HandlerContext = { nodeId: "n", store, limits: DEFAULT_LIMITS };
    answerNow({ op: "PUT", key: "k", value: "v", expiresAt: clock.t + 500 }, ctx);
    answerNow({ op: "PUT", key: "gone", value: "v", expiresAt: clock.t - 1 }, ctx);
    expect(store.entry("k")?.expiresAt).toBe(clock.t + 500);
    expect(store.get("gone")).toBeUndefined();
    clock.t += 500;
    expect(answerNow({ op: "GET_ONE", key: "k" }, ctx)).toMatchObject({ error: { code: "NOT_FOUND" } });
    // A PUT without a ttl makes a key permanent again.
    answerNow({ op: "PUT", key: "k", value: "again" }, ctx);
    clock.t += 10_000_000;
    expect(store.get("k")).toBe("again");
  });
});

describe("Reclaimer", () => {
  it("removes expired entries in slices, a bounded amount per tick", () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    for (let i = 0; i < 1000; i++) store.put(`k${i}`, "v", clock.t + 100);
    store.put("forever", "v");
    const reclaimer = new Reclaimer(store, { slice: 100, budgetMs: 0 });
    expect(reclaimer.tick()).toBe(0);
    clock.t += 100;
    expect(reclaimer.tick()).toBe(100); // a zero time budget: one slice per tick
    let ticks = 1;
    while (reclaimer.tick() > 0) ticks++;
    expect(ticks).toBe(10);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(Buffer.byteLength("forever") + 1);
    reclaimer.close();
    reclaimer.close();
  });

  it("leaves tombstones at the keys' versions when asked (replication)", () => {
    const clock = manualClock();
    const store = new MemoryStore({ now: clock.now });
    const version = store.put("k", "v", clock.t + 1);
    clock.t += 1;
    expect(store.reclaim(10, true)).toBe(1);
    expect(store.copy("k")).toEqual({ value: undefined, version });
    expect(store.apply("k", { value: "older", version: version - 1 })).toBe(false);
  });
});

describe("DurableStore keeps expiry and versions across a restart", () => {
  it("reloads expiresAt and versions, and reclaims what expired while it was down, on disk too", async () => {
    const clock = manualClock();
    const dir = join(root, "restart");
    const first = await DurableStore.open({ dir, fsync: "off", now: clock.now });
    const vSoon = first.put("soon", "v", clock.t + 1000);
    const vLater = first.put("later", "v", clock.t + 60_000);
    const vPlain = first.put("plain", "v");
    await first.close();

    clock.t += 5000; // "soon" expired while the node was down
    const second = await DurableStore.open({ dir, fsync: "off", now: clock.now });
    expect(second.get("soon")).toBeUndefined();
    expect(second.entry("later")).toEqual({ value: "v", version: vLater, expiresAt: clock.t + 55_000 });
    expect(second.entry("plain")).toEqual({ value: "v", version: vPlain });
    expect(second.size).toBe(3); // counted until reclaimed
    expect(second.reclaim(10, false)).toBe(1);
    expect(second.size).toBe(2);
    // New versions are above the reloaded ones, even if the wall clock went back.
    clock.t -= 1_000_000;
    expect(second.put("plain", "w")).toBeGreaterThan(Math.max(vSoon, vLater, vPlain));
    await second.close();

    const third = await DurableStore.open({ dir, fsync: "off", now: clock.now });
    expect(third.size).toBe(2);
    expect(third.copy("soon")).toBeUndefined();
    await third.close();
  });
});
