import { describe, expect, it } from "vitest";
import { Hints } from "../src/replication/hints.js";
import type { PeerBatcher } from "../src/replication/peer-batcher.js";

describe("hinted handoff", () => {
  it("drops, without sending, a hint for a node that is no longer one of the key's replicas", async () => {
    const sent: string[] = [];
    const batcher = {
      replicate: async (replica: string, key: string) => void sent.push(`${key}@${replica}`),
    } as unknown as PeerBatcher;
    // After a rebalance trimmed "moved" from node-0, its hint must not put it back there.
    const replicas: Record<string, string[]> = { moved: ["node-1", "node-2"], kept: ["node-0", "node-1"] };
    const hints = new Hints(
      { copy: () => ({ value: "v", version: 1 }) },
      { isUp: () => true },
      batcher,
      (key) => replicas[key] ?? [],
    );
    try {
      hints.add("node-0", "moved");
      hints.add("node-0", "kept");
      await hints.replay();
      expect(sent).toEqual(["kept@node-0"]);
      expect(hints.has("moved")).toBe(false);
      expect(hints.pending()).toEqual({});
    } finally {
      hints.close();
    }
  });
});
