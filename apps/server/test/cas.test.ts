import { DEFAULT_LIMITS, ErrorCode, type Reply } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { answerNow } from "./helpers.js";
import { type Attempt, checkCounter, turns } from "./support/cas-counter.js";

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
