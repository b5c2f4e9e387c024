import { createPlacement } from "@zkv/hashring";
import { copiesOfReplicate, ErrorCode, type Reply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import { trim } from "../src/replication/handoff.js";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import type { PeerRequest } from "../src/replication/peer-links.js";
import { Replicator } from "../src/replication/replicator.js";
import { MemoryStore } from "../src/store/index.js";

const placement = createPlacement("ring", ["a", "b", "c"]);
/** A key whose replicas at n=2 leave out c, and the replica it has besides its primary. */
const key = Array.from({ length: 1000 }, (_, i) => `k${i}`).find(
  (k) => !placement.preferenceList(k, 2).includes("c"),
)!;
const [, second] = placement.preferenceList(key, 2) as [string, string];

/**
 * Node c after n went from 3 to 2: it no longer replicates `key`, and a write it coordinated
 * before the commit left a hint for the key's second replica (that replica missed it).
 */
function nodeC(reachable: (peer: string) => boolean) {
  const sent: Array<{ peer: string; keys: string[] }> = [];
  const cluster = new ClusterView("c");
  cluster.setPlacement(1, placement);
  cluster.setReplication({ n: 2, w: 2, readN: 2, r: 2, nextN: 2, tag: "run:done", changing: false });
  const store = new MemoryStore();
  store.put(key, "only-here-and-on-the-primary");
  const transport = {
    request: async (peer: string, req: PeerRequest): Promise<Reply> => {
      if (!reachable(peer)) throw new Error(`${peer} is unreachable`);
      if (req.op === "REPLICATE") sent.push({ peer, keys: copiesOfReplicate(req).map((e) => e.key) });
      return { ok: true };
    },
  };
  const replicator = new Replicator({
    self: "c",
    store,
    peers: { isUp: () => true, isServing: () => true },
    batcher: new PeerBatcher(transport, 200),
    replicasOf: (k) => cluster.replicasOf(k)!,
    settings: () => ({ n: 2, w: 2, r: 2 }),
    timeoutMs: 200,
  });
  replicator.hints.add(second, key);
  return { ctx: { nodeId: "c", store, cluster, replicator }, sent };
}

describe("TRIM", () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it("delivers a pending hint before dropping the only copy it could be delivered from", async () => {
    const { ctx, sent } = nodeC(() => true);
    closers.push(() => ctx.replicator.close());
    const reply = await trim({ op: "TRIM" }, ctx);
    expect(reply).toEqual({ ok: true, count: 1 });
    expect(sent).toContainEqual({ peer: second, keys: [key] });
    expect(ctx.store.copy(key)).toBeUndefined();
    expect(ctx.replicator.hints.pending()).toEqual({});
  });

  it("keeps the key, and its hint, while the hinted replica cannot be reached: the caller retries", async () => {
    const { ctx } = nodeC((peer) => peer !== second);
    closers.push(() => ctx.replicator.close());
    await expect(trim({ op: "TRIM" }, ctx)).rejects.toMatchObject({ code: ErrorCode.TRY_AGAIN });
    expect(ctx.store.copy(key)?.value).toBe("only-here-and-on-the-primary");
    expect(ctx.replicator.hints.pending()).toEqual({ [second]: 1 });
  });
});
