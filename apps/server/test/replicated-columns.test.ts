import {
  type BatchColumnsReply,
  type BatchOp,
  type BatchReply,
  copiesOfReplicate,
  encodeBatchColumns,
  type Reply,
  repliesOfColumns,
  resolveLimits,
} from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConditionalWrites } from "../src/replication/conditional.js";
import { PeerBatcher } from "../src/replication/peer-batcher.js";
import type { PeerRequest } from "../src/replication/peer-links.js";
import { Replicator } from "../src/replication/replicator.js";
import { type HandlerContext, handleRequest } from "../src/requests/handler.js";
import { copyOf, MemoryStore } from "../src/store/index.js";
import { Counts } from "./support/counts.js";

const IDS = ["a", "b", "c"];
const NOW = 1_700_000_000_000;

/**
 * Three replicas (n = 3, w = r = 2) in this process, on MemoryStores whose clocks stand still, so
 * two trios given the same operations issue the same versions. `a` coordinates.
 */
function trio(maxBytes?: number) {
  const stores = new Map(IDS.map((id) => [id, new MemoryStore({ now: () => NOW })]));
  const replicators = new Map<string, Replicator>();
  /** Every message a replica was sent, as `op peer`. */
  const sent: string[] = [];
  const deliver = async (peer: string, req: PeerRequest): Promise<Reply> => {
    sent.push(`${req.op} ${peer}`);
    const target = replicators.get(peer)!;
    if (req.op === "REPLICATE") {
      for (const e of copiesOfReplicate(req)) target.applyCopy(e.key, copyOf(e));
      return { ok: true };
    }
    if (req.op !== "REPLICA_GET") throw new Error(`${req.op} is not faked`);
    const entries = req.keys.map((key) => ({ key, ...stores.get(peer)!.copy(key) }));
    return { entries } as Reply;
  };
  for (const self of IDS) {
    const store = stores.get(self)!;
    replicators.set(
      self,
      new Replicator({
        self,
        store,
        peers: { isUp: () => true, isServing: () => true },
        batcher: new PeerBatcher({ request: deliver }, 1000),
        replicasOf: () => IDS,
        settings: () => ({ n: 3, w: 2, r: 2 }),
        timeoutMs: 1000,
        clock: store.clock,
        now: store.now,
      }),
    );
  }
  const store = stores.get("a")!;
  const replicator = replicators.get("a")!;
  const metrics = new Counts();
  const ctx: HandlerContext = {
    nodeId: "a",
    store,
    limits: resolveLimits({ maxKeyBytes: 6, maxValueBytes: 12 }),
    metrics,
    keepTombstones: true,
    replication: {
      replicator,
      store,
      conditional: new ConditionalWrites({ self: "a", primaryOf: () => "a", replicator, store, maxBytes }),
      maxBytes,
      state: () => "serving",
      holds: () => true,
    },
    ...(maxBytes === undefined ? {} : { maxBytes }),
  };
  const close = () => {
    for (const r of replicators.values()) r.close();
  };
  const state = () => IDS.map((id) => ["a", "b", "c", "d"].map((k) => stores.get(id)!.copy(k) ?? null));
  return { ctx, metrics, state, close, sent };
}

const key = fc.oneof(fc.constantFrom("a", "b", "c", "d"), fc.constant("far-too-long"));
const value = fc.oneof(fc.constantFrom("1", "22", "333"), fc.constant("x".repeat(20)));
const op: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("PUT" as const), key, value }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("GET_ONE" as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("DELETE" as const), key }) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({ op: fc.constant("PUT" as const), key, value, ttl: fc.constantFrom(5, 60) }),
      fc.record({ op: fc.constant("PUT" as const), key, value, withVersion: fc.constant(true) }),
      fc.record({ op: fc.constant("GET_ONE" as const), key, withVersion: fc.constant(true) }),
      fc.record({ op: fc.constant("PUT" as const), key, value, w: fc.constant(3) }),
    ),
  },
);

describe("BATCH columns on a replicated node (n = 3, w = 2)", () => {
  it("answer and store exactly what the same BATCH with ops does, on every replica, metrics included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.option(fc.integer({ min: 8, max: 40 }), { nil: undefined }),
        async (ops, maxBytes) => {
          const rows = trio(maxBytes);
          const columns = trio(maxBytes);
          try {
            const byRows = (await handleRequest({ op: "BATCH", ops }, rows.ctx)) as BatchReply;
            const encoded = encodeBatchColumns(ops);
            const byColumns = (await handleRequest(
              { op: "BATCH", columns: encoded },
              columns.ctx,
            )) as BatchColumnsReply;
            expect(repliesOfColumns(encoded, JSON.parse(JSON.stringify(byColumns)))).toEqual(byRows.results);
            await new Promise((r) => setImmediate(r)); // late copies land
            expect(columns.state()).toEqual(rows.state());
            expect(columns.metrics.byOutcome).toEqual(rows.metrics.byOutcome);
          } finally {
            rows.close();
            columns.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("sends one REPLICATE per peer for a run of 1000 writes, and one reply", async () => {
    const { ctx, close, sent } = trio();
    try {
      const ops: BatchOp[] = Array.from({ length: 1000 }, (_, i) => ({
        op: "PUT",
        key: ["a", "b", "c", "d"][i % 4]!,
        value: String(i),
      }));
      const reply = await handleRequest({ op: "BATCH", columns: encodeBatchColumns(ops), id: 7 }, ctx);
      expect(reply).toEqual({ done: 1000, id: 7 });
      expect(sent.sort()).toEqual(["REPLICATE b", "REPLICATE c"]);
    } finally {
      close();
    }
  });

  it("on a one-copy cluster (replication idle), answers columns locally like rows: no REPLICATE", async () => {
    const { ctx, close, sent } = trio();
    const idle: HandlerContext = { ...ctx, replication: { ...ctx.replication!, active: () => false } };
    try {
      const ops: BatchOp[] = ["a", "b", "c"].map((k) => ({ op: "PUT", key: k, value: "1" }));
      const reply = await handleRequest({ op: "BATCH", columns: encodeBatchColumns(ops) }, idle);
      expect(reply).toEqual({ done: 3 });
      await handleRequest({ op: "BATCH", ops }, idle);
      expect(sent).toEqual([]);
      expect(ctx.store.get("b")).toBe("1");
    } finally {
      close();
    }
  });
});
