import { resolveLimits } from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/store/index.js";
import { handleNow } from "./helpers.js";

describe("STATS", () => {
  it("reports keys, UTF-8 bytes of keys and values, ops served and uptime", () => {
    const store = new MemoryStore();
    const ctx = {
      nodeId: "node-2",
      store,
      limits: resolveLimits({}),
      counters: { opsServed: 7, startedAt: Date.now() - 2000 },
    };
    handleNow({ op: "PUT", key: "k1", value: "v" }, ctx);
    handleNow({ op: "PUT", key: "ключ", value: "значение" }, ctx); // 8 + 16 bytes
    handleNow({ op: "PUT", key: "k1", value: "vvv" }, ctx); // overwrite: 2 + 3 bytes
    const stats = handleNow({ op: "STATS", id: 1 }, ctx) as Record<string, number | string>;
    expect(stats).toMatchObject({ node: "node-2", keys: 2, bytes: 2 + 3 + 8 + 16, opsServed: 7, id: 1 });
    expect(stats.uptimeSeconds).toBeGreaterThanOrEqual(2);
    handleNow({ op: "DELETE", key: "ключ" }, ctx);
    expect(handleNow({ op: "STATS" }, ctx)).toMatchObject({ keys: 1, bytes: 5 });
  });
});
