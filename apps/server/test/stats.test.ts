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
      counters: { opsServed: 7, uptimeSeconds: 2.5 },
    };
    handleNow({ op: "PUT", key: "k1", value: "v" }, ctx);
    handleNow({ op: "PUT", key: "ключ", value: "значение" }, ctx); // 8 + 16 bytes
    handleNow({ op: "PUT", key: "k1", value: "vvv" }, ctx); // overwrite: 2 + 3 bytes
    const stats = handleNow({ op: "STATS", id: 1 }, ctx) as Record<string, number | string>;
    expect(stats).toMatchObject({
      node: "node-2",
      keys: 2,
      bytes: 2 + 3 + 8 + 16,
      opsServed: 7,
      uptimeSeconds: 2.5,
      id: 1,
    });
    handleNow({ op: "DELETE", key: "ключ" }, ctx);
    expect(handleNow({ op: "STATS" }, ctx)).toMatchObject({ keys: 1, bytes: 5 });
  });

  it("reports the memory its node's probe measures, collecting garbage first only when asked", () => {
    const asked: boolean[] = [];
    const memory = {
      read(collectFirst: boolean) {
        asked.push(collectFirst);
        return { heapUsedBytes: 5000, rssBytes: 9000 };
      },
    };
    const ctx = { nodeId: "n", store: new MemoryStore(), limits: resolveLimits({}), memory };
    expect(handleNow({ op: "STATS" }, ctx)).toMatchObject({ heapUsedBytes: 5000, rssBytes: 9000 });
    handleNow({ op: "STATS", gc: true }, ctx);
    expect(asked).toEqual([false, true]);
  });

  it("reports zero memory and uptime without a node around it (no I/O of its own)", () => {
    const ctx = { nodeId: "n", store: new MemoryStore(), limits: resolveLimits({}) };
    expect(handleNow({ op: "STATS" }, ctx)).toMatchObject({
      uptimeSeconds: 0,
      heapUsedBytes: 0,
      rssBytes: 0,
    });
  });
});
