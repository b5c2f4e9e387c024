import { createPlacement } from "@zkv/hashring";
import { DEFAULT_LIMITS, ErrorCode, type StatsReply } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryNodeArgs, parseByteSize } from "../src/cli/memory-flags.js";
import { ClusterView } from "../src/cluster/ownership.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { checkBudget, makeRoom } from "../src/store/write-rules.js";
import { answerNow, thrown } from "./helpers.js";

/** A node whose budget is `maxBytes`: "k1"+"12345678" is 10 bytes, so 30 holds three such keys. */
function budgeted(maxBytes: number, now?: () => number): HandlerContext {
  return { nodeId: "n", store: new MemoryStore(now ? { now } : {}), limits: DEFAULT_LIMITS, maxBytes };
}

/** A budget of 30 holding three entries that have just expired: not yet reclaimed, they still count. */
function fullOfExpired(): HandlerContext {
  let now = 1_000_000;
  const ctx = budgeted(30, () => now);
  for (const k of ["k1", "k2", "k3"]) answerNow({ op: "PUT", key: k, value: "12345678", ttl: 1 }, ctx);
  now += 1000;
  expect(ctx.store.bytes).toBe(30);
  return ctx;
}

const oom = { error: { code: ErrorCode.OUT_OF_MEMORY } };

describe("the memory budget (--max-memory)", () => {
  it("refuses the write that would pass it, writing nothing, while reads keep working", () => {
    const ctx = budgeted(30);
    for (const k of ["k1", "k2", "k3"])
      expect(answerNow({ op: "PUT", key: k, value: "12345678" }, ctx)).toEqual({ ok: true });
    expect(ctx.store.bytes).toBe(30);
    const refused = answerNow({ op: "PUT", key: "k4", value: "x" }, ctx);
    expect(refused).toMatchObject(oom);
    expect(JSON.stringify(refused)).toContain("nothing written");
    expect(ctx.store.get("k4")).toBeUndefined();
    expect(answerNow({ op: "PUT", key: "k1", value: "123456789" }, ctx)).toMatchObject(oom); // grows by 1
    expect(answerNow({ op: "GET_ONE", key: "k1" }, ctx)).toEqual({ key: "k1", value: "12345678" });
    expect(ctx.store.bytes).toBe(30);
  });

  it("lets deletes and shrinking or same-size overwrites through, and takes writes again after", () => {
    const ctx = budgeted(30);
    for (const k of ["k1", "k2", "k3"]) answerNow({ op: "PUT", key: k, value: "12345678" }, ctx);
    expect(answerNow({ op: "PUT", key: "k1", value: "abcdefgh" }, ctx)).toEqual({ ok: true });
    expect(answerNow({ op: "PUT", key: "k2", value: "1" }, ctx)).toEqual({ ok: true });
    expect(answerNow({ op: "DELETE", key: "k3" }, ctx)).toEqual({ ok: true, deleted: true });
    expect(answerNow({ op: "PUT", key: "k4", value: "12345678" }, ctx)).toEqual({ ok: true });
    expect(ctx.store.bytes).toBeLessThanOrEqual(30);
  });

  it("reclaims expired entries at once when full, before refusing", () => {
    const ctx = fullOfExpired();
    expect(answerNow({ op: "PUT", key: "k4", value: "12345678" }, ctx)).toEqual({ ok: true });
    expect(ctx.store.bytes).toBe(10);
  });

  it("checkBudget only checks: the expired entries that still count go only through makeRoom", () => {
    const ctx = fullOfExpired();
    expect(thrown(() => checkBudget(ctx, 10)).code).toBe(ErrorCode.OUT_OF_MEMORY);
    expect(ctx.store.bytes).toBe(30); // refused, and the store untouched
    makeRoom(ctx, 10);
    expect(ctx.store.bytes).toBe(0);
    checkBudget(ctx, 10); // now it fits
  });

  it("refuses an IMPORT that does not fit as a whole, so a rebalance fails instead of losing data", () => {
    const cluster = new ClusterView("b");
    cluster.beginMigration("r", 0, createPlacement("ring", ["a"]), createPlacement("ring", ["a", "b"]));
    const ctx = { ...budgeted(25), cluster };
    const entries = [
      { key: "k1", value: "12345678" },
      { key: "k2", value: "12345678" },
      { key: "k3", value: "12345678" },
    ];
    expect(answerNow({ op: "IMPORT", run: "r", entries }, ctx)).toMatchObject(oom);
    expect(ctx.store.size).toBe(0);
    expect(answerNow({ op: "IMPORT", run: "r", entries: entries.slice(0, 2) }, ctx)).toMatchObject({
      ok: true,
      count: 2,
    });
  });

  it("STATS reports the budget, and nothing when unlimited", () => {
    expect((answerNow({ op: "STATS" }, budgeted(1024)) as StatsReply).maxBytes).toBe(1024);
    const unlimited = { nodeId: "n", store: new MemoryStore(), limits: DEFAULT_LIMITS };
    expect(answerNow({ op: "STATS" }, unlimited)).not.toHaveProperty("maxBytes");
  });

  it("never holds more than the budget, and never loses an acknowledged write (property)", () => {
    const op = fc.oneof(
      fc.record({ put: fc.constantFrom("a", "b", "c", "d", "e"), value: fc.string({ maxLength: 12 }) }),
      fc.record({ del: fc.constantFrom("a", "b", "c", "d", "e") }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 50 }), (max, ops) => {
        const ctx = budgeted(max);
        const model = new Map<string, string>();
        for (const o of ops) {
          if ("put" in o) {
            const reply = answerNow({ op: "PUT", key: o.put, value: o.value }, ctx);
            if ("error" in reply) expect(reply).toMatchObject(oom);
            else model.set(o.put, o.value);
          } else {
            answerNow({ op: "DELETE", key: o.del }, ctx);
            model.delete(o.del);
          }
          expect(ctx.store.bytes).toBeLessThanOrEqual(max);
          for (const [k, v] of model) expect(ctx.store.get(k)).toBe(v);
          expect(ctx.store.size).toBe(model.size);
        }
      }),
    );
  });
});

describe("parseByteSize", () => {
  it.each([
    ["67108864", 67_108_864],
    ["64mb", 64 * 1024 * 1024],
    ["64MB", 64 * 1024 * 1024],
    ["1gb", 1024 ** 3],
    ["500k", 500_000],
    ["1.5kb", 1536],
    ["2 m", 2_000_000],
  ])("reads %s as %d bytes (redis.conf units)", (raw, bytes) => {
    expect(parseByteSize(raw)).toBe(bytes);
  });

  it.each(["", "0", "-5", "64xb", "mb", "1e3"])("refuses %j", (raw) => {
    expect(() => parseByteSize(raw)).toThrow(/--max-memory/);
  });

  it("names the flag it reads, and the launcher hands both flags on in bytes", () => {
    expect(() => parseByteSize("lots", "--client-output-limit")).toThrow(/--client-output-limit/);
    expect(memoryNodeArgs({ maxMemory: 1024, clientOutputLimit: 2048 })).toEqual([
      "--max-memory",
      "1024",
      "--client-output-limit",
      "2048",
    ]);
  });
});
