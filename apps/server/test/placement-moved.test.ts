import { createPlacement } from "@zkv/hashring";
import { copiesOfReplicate, ErrorCode, type Reply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import { ConditionalWrites } from "../src/replication/conditional.js";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import type { PeerRequest } from "../src/replication/peer-links.js";
import { Replicator } from "../src/replication/replicator.js";
import { MemoryStore } from "../src/store/index.js";

/**
 * A node's view moves on while one of its operations on a key waits for peers: a rebalance ends
 * (MIGRATION end) and TRIM drops the key here, because the new placement gives it to others. What
 * the operation does after the wait must not put the key back on this node: nothing would ever
 * trim it again, and a write that counted this copy toward `w` would be acknowledged short of
 * its replicas. Found by the nemesis (seed 287670723): a CAS counter kept on a node that was
 * paused during an add-node, whose queued conditional writes ran on after the trim.
 */
const before = createPlacement("ring", ["a", "b", "c"]);
const after = createPlacement("ring", ["a", "b", "c", "d", "e", "f"]);
/** A key whose primary is `a` before the rebalance, and that `a` does not replicate after it. */
const key = Array.from({ length: 5000 }, (_, i) => `k${i}`).find(
  (k) => before.preferenceList(k, 3)[0] === "a" && !after.preferenceList(k, 3).includes("a"),
)!;

/**
 * Node `a`, primary of `key`, with peers that answer REPLICA_GET only when `release()` is called
 * (REPLICATE at once). `moveOn()` is what MIGRATION end and TRIM do to it.
 */
function nodeA() {
  const cluster = new ClusterView("a");
  cluster.setPlacement(1, before);
  cluster.replicas = 3;
  const store = new MemoryStore();
  store.put(key, "0");
  const copy = store.copy(key)!;
  const replicated: string[] = [];
  const held: Array<() => void> = [];
  const transport = {
    request: async (peer: string, req: PeerRequest): Promise<Reply> => {
      if (req.op === "REPLICATE") {
        for (const e of copiesOfReplicate(req)) replicated.push(`${peer}:${e.key}`);
        return { ok: true };
      }
      if (req.op !== "REPLICA_GET") throw new Error(`${req.op} is not faked`);
      await new Promise<void>((r) => held.push(r));
      return { entries: req.keys.map((k) => ({ key: k, value: copy.value, version: copy.version })) };
    },
  };
  const replicator = new Replicator({
    self: "a",
    store,
    peers: { isUp: () => true, isServing: () => true },
    batcher: new PeerBatcher(transport, 1000),
    replicasOf: (k) => cluster.replicasOf(k)!,
    settings: () => ({ n: 3, w: 2, r: 2 }),
    timeoutMs: 1000,
    clock: store.clock,
  });
  const conditional = new ConditionalWrites({
    self: "a",
    primaryOf: (k) => cluster.replicasOf(k)?.[0],
    replicator,
    store,
  });
  const moveOn = () => {
    cluster.setPlacement(2, after);
    store.drop(key);
  };
  /** Resolves once the peers were asked for their copies (and hold their answers back). */
  const asked = async () => {
    while (held.length === 0) await new Promise((r) => setTimeout(r, 1));
  };
  const release = () => {
    for (const r of held.splice(0)) r();
  };
  return { replicator, conditional, store, version: copy.version, replicated, asked, moveOn, release };
}

describe("an operation whose key left this node while it waited", () => {
  const closers: Array<() => void> = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });

  it("a conditional write decided here refuses to write once this node is no longer the primary", async () => {
    const a = nodeA();
    closers.push(() => a.replicator.close());
    const cas = a.conditional.write({ op: "PUT", key, value: "1", ifVersion: a.version });
    const outcome = cas.catch((e: unknown) => e);
    await a.asked();
    a.moveOn();
    a.release();
    expect(await outcome).toMatchObject({
      code: ErrorCode.WRONG_NODE,
      owner: after.preferenceList(key, 3)[0],
    });
    expect(a.store.copy(key)).toBeUndefined();
    expect(a.replicated).toEqual([]);
  });

  it("a read coordinated here does not repair this node's copy back", async () => {
    const a = nodeA();
    closers.push(() => a.replicator.close());
    a.store.drop(key); // this node missed the key: the peers' copies are newer
    const read = a.replicator.read(key);
    await a.asked();
    a.moveOn();
    a.release();
    expect((await read)?.value).toBe("0");
    expect(a.store.copy(key)).toBeUndefined();
  });

  it("a write is refused, not applied, on a node that does not replicate its key", async () => {
    const a = nodeA();
    closers.push(() => a.replicator.close());
    a.moveOn();
    await expect(a.replicator.write(key, "x")).rejects.toMatchObject({ code: ErrorCode.WRONG_NODE });
    expect(a.store.copy(key)).toBeUndefined();
    expect(a.replicated).toEqual([]);
  });
});
