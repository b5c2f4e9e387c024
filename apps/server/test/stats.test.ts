import { resolveLimits } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { handleRequest } from "../src/handler.js";
import { MemoryStore } from "../src/store/index.js";

describe("STATS", () => {
  it("reports keys, UTF-8 bytes of keys and values, ops served and uptime", () => {
    const store = new MemoryStore();
    const ctx = {
      nodeId: "node-2",
      store,
      limits: resolveLimits({}),
      counters: { opsServed: 7, startedAt: Date.now() - 2000 },
    };
    handleRequest({ op: "PUT", key: "k1", value: "v" }, ctx);
    handleRequest({ op: "PUT", key: "ключ", value: "значение" }, ctx); // 8 + 16 bytes
    handleRequest({ op: "PUT", key: "k1", value: "vvv" }, ctx); // overwrite: 2 + 3 bytes
    const stats = handleRequest({ op: "STATS", id: 1 }, ctx) as Record<string, number | string>;
    expect(stats).toMatchObject({ node: "node-2", keys: 2, bytes: 2 + 3 + 8 + 16, opsServed: 7, id: 1 });
    expect(stats.uptimeSeconds).toBeGreaterThanOrEqual(2);
    handleRequest({ op: "DELETE", key: "ключ" }, ctx);
    expect(handleRequest({ op: "STATS" }, ctx)).toMatchObject({ keys: 1, bytes: 5 });
  });
});
