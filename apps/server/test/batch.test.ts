import { ErrorCode, resolveLimits } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/store/index.js";
import { handleNow } from "./helpers.js";

describe("BATCH", () => {
  const ctx = () => ({
    nodeId: "node-0",
    store: new MemoryStore(),
    limits: resolveLimits({ maxKeyBytes: 8 }),
  });

  it("answers each element as it would alone, in order, with per-element errors", () => {
    const c = ctx();
    const reply = handleNow(
      {
        op: "BATCH",
        id: 4,
        ops: [
          { op: "PUT", key: "a", value: "1" },
          { op: "PUT", key: "a", value: "2" },
          { op: "GET_ONE", key: "a" },
          { op: "GET_ONE", key: "missing" },
          { op: "PUT", key: "far-too-long", value: "x" },
          { op: "GET_ALL" },
          "not an object",
          { op: "NOPE", key: "a" },
          { op: "DELETE", key: "a" },
        ],
      },
      c,
    ) as { results: Array<Record<string, unknown>>; id: number };
    expect(reply.id).toBe(4);
    const codes = reply.results.map((r) => (r.error as { code?: string } | undefined)?.code ?? "ok");
    expect(codes).toEqual([
      "ok",
      "ok",
      "ok",
      ErrorCode.NOT_FOUND,
      ErrorCode.TOO_LARGE,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_REQUEST,
      ErrorCode.UNKNOWN_OP,
      "ok",
    ]);
    expect(reply.results[2]).toEqual({ key: "a", value: "2" });
    expect(reply.results[8]).toEqual({ ok: true, deleted: true });
    expect(c.store.size).toBe(0);
  });
});
