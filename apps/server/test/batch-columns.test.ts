import {
  type BatchColumnsReply,
  type BatchOp,
  decodeBatchOp,
  ErrorCode,
  encodeBatchColumns,
  type Reply,
  repliesOfColumns,
  resolveLimits,
  toErrorReply,
} from "@zkv/protocol";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { EMPTY, frame, Harness, handleNow } from "./helpers.js";
import { Counts } from "./support/counts.js";

/** A store whose clock stands still, so two stores given the same writes issue the same versions. */
const context = (maxBytes: number | undefined) => {
  const metrics = new Counts();
  /** What the handler left for after its reply (HandlerContext.afterReply), as a node holds it. */
  const deferred: Array<() => void> = [];
  const ctx: HandlerContext = {
    nodeId: "node-0",
    store: new MemoryStore({ now: () => 1_700_000_000_000 }),
    limits: resolveLimits({ maxKeyBytes: 6, maxValueBytes: 12 }),
    metrics,
    ...(maxBytes === undefined ? {} : { maxBytes }),
    afterReply: (work) => deferred.push(work),
  };
  /** Runs the deferred work, as the serve loop does once the reply is on its way. */
  const afterReply = () => {
    for (const work of deferred.splice(0)) work();
  };
  return { ctx, metrics, afterReply };
};

const key = fc.oneof(fc.constantFrom("a", "b", "c", "d"), fc.constant("far-too-long"), fc.constant("\ud800"));
const value = fc.oneof(fc.constantFrom("1", "22", "333"), fc.constant("x".repeat(20)), fc.constant("\udc00"));

/** Operations as a client batches them: mostly plain; some with a TTL, a condition or a version asked. */
const op: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("PUT" as const), key, value }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("GET_ONE" as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("DELETE" as const), key }) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.record({ op: fc.constant("PUT" as const), key, value, ttl: fc.constantFrom(0.001, 5, 60) }),
      fc.record({ op: fc.constant("PUT" as const), key, value, ifAbsent: fc.constant(true) }),
      fc.record({ op: fc.constant("PUT" as const), key, value, ifVersion: fc.nat({ max: 4 }) }),
      fc.record({ op: fc.constant("PUT" as const), key, value, withVersion: fc.constant(true) }),
      fc.record({ op: fc.constant("GET_ONE" as const), key, withVersion: fc.constant(true) }),
    ),
  },
);

/** Only PUTs, mostly plain: the batches a node answers before their inserts, and near misses. */
const putsOnly: fc.Arbitrary<BatchOp[]> = fc.array(
  fc.oneof(
    {
      weight: 30,
      arbitrary: fc.record({
        op: fc.constant("PUT" as const),
        key: fc.constantFrom("a", "b", "c", "d"),
        value: fc.constantFrom("1", "22", "333"),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("PUT" as const), key, value }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("PUT" as const), key, value, ttl: fc.constant(60) }),
    },
  ),
  { minLength: 1, maxLength: 30 },
);

/** The store's state over every key the ops touch. */
const state = (ctx: HandlerContext) => ({
  entries: ["a", "b", "c", "d"].map((k) => ctx.store.entry(k)),
  size: ctx.store.size,
  bytes: ctx.store.bytes,
});

describe("BATCH columns", () => {
  it.each([
    ["any ops", fc.array(op, { minLength: 1, maxLength: 30 })],
    ["only PUTs (answered before their inserts when all succeed)", putsOnly],
  ] as const)(
    "applies %s exactly as the same ops sent one by one: replies, versions, TTLs, conditions, metrics",
    (_, batches) => {
      fc.assert(
        fc.property(
          batches,
          fc.option(fc.integer({ min: 8, max: 40 }), { nil: undefined }),
          (ops, maxBytes) => {
            const one = context(maxBytes);
            const singly = ops.map((o) => {
              // A single request is decoded first, as a BATCH element is.
              const decoded = decodeBatchOp(o, one.ctx.limits);
              const op = decoded.ok ? decoded.request.op : "INVALID";
              let reply: Reply;
              try {
                reply = decoded.ok ? handleNow(decoded.request, one.ctx) : toErrorReply(decoded.error);
              } catch (err) {
                reply = toErrorReply(err);
              }
              one.metrics.request(op, reply);
              return reply;
            });
            const batched = context(maxBytes);
            const columns = encodeBatchColumns(ops);
            const reply = handleNow({ op: "BATCH", columns, id: 9 }, batched.ctx) as BatchColumnsReply;
            batched.afterReply();
            expect(reply.id).toBe(9);
            const { id: _, ...body } = reply;
            expect(repliesOfColumns(columns, JSON.parse(JSON.stringify(body)))).toEqual(singly);
            expect(state(batched.ctx)).toEqual(state(one.ctx));
            expect(batched.metrics.byOutcome).toEqual(one.metrics.byOutcome);
          },
        ),
        { numRuns: 400 },
      );
    },
  );

  it("answers a batch of plain PUTs that all succeed before inserting them, and inserts them after", () => {
    const { ctx, afterReply } = context(undefined);
    const ops: BatchOp[] = [
      { op: "PUT", key: "a", value: "1" },
      { op: "PUT", key: "b", value: "2" },
      { op: "PUT", key: "a", value: "3" },
    ];
    const reply = handleNow({ op: "BATCH", columns: encodeBatchColumns(ops), id: 1 }, ctx);
    expect(reply).toEqual({ done: 3, id: 1 });
    expect(ctx.store.size).toBe(0); // the inserts wait for the reply to leave
    afterReply();
    expect([ctx.store.get("a"), ctx.store.get("b"), ctx.store.size]).toEqual(["3", "2", 2]);
  });

  it.each([
    ["a refused value", [{ op: "PUT", key: "a", value: "x".repeat(20) }], 1],
    ["a TTL", [{ op: "PUT", key: "a", value: "1", ttl: 5 }], 2],
    ["a GET", [{ op: "GET_ONE", key: "a" }], 1],
  ] as const)("applies a batch with %s at once, as before", (_, last, size) => {
    const { ctx } = context(undefined);
    const ops: BatchOp[] = [{ op: "PUT", key: "b", value: "1" }, ...last];
    handleNow({ op: "BATCH", columns: encodeBatchColumns(ops), id: 1 }, ctx);
    expect(ctx.store.size).toBe(size); // nothing left for after the reply
  });

  it("applies at once, and refuses what does not fit, when the batch might not fit the memory budget", () => {
    const { ctx } = context(6);
    const ops: BatchOp[] = [
      { op: "PUT", key: "a", value: "1" },
      { op: "PUT", key: "b", value: "1234" },
    ];
    const reply = handleNow(
      { op: "BATCH", columns: encodeBatchColumns(ops), id: 1 },
      ctx,
    ) as BatchColumnsReply;
    expect(reply.errors).toEqual([
      { at: 1, error: { code: ErrorCode.OUT_OF_MEMORY, message: expect.any(String) } },
    ]);
    expect(ctx.store.get("a")).toBe("1");
  });

  it("acknowledges a batch whose every op succeeded with one small reply", () => {
    const { ctx } = context(undefined);
    const ops: BatchOp[] = Array.from({ length: 1000 }, (_, i) => ({
      op: "PUT",
      key: `${i}`.slice(0, 6),
      value: "v",
    }));
    const reply = handleNow({ op: "BATCH", columns: encodeBatchColumns(ops), id: 1 }, ctx);
    expect(JSON.stringify(reply)).toBe('{"done":1000,"id":1}');
  });
});

describe("BATCH over a socket", () => {
  const h = new Harness();
  afterEach(() => h.cleanup());

  it("a batch of PUTs answered before its inserts is read by every request after it, sent without waiting", async () => {
    const node = await h.node();
    const dealer = h.dealer(node);
    const rounds = 200;
    for (let i = 0; i < rounds; i++) {
      const keys = JSON.stringify([`a${i}`, `b${i}`]);
      await dealer.send([
        EMPTY,
        frame(`{"op":"BATCH","columns":{"ops":"PP","keys":${keys},"values":["${i}","x${i}"]}}`),
      ]);
      await dealer.send([EMPTY, frame(`{"op":"BATCH","columns":{"ops":"GG","keys":${keys}}}`)]);
    }
    for (let i = 0; i < rounds; i++) {
      const [, put] = await dealer.receive();
      expect(put!.toString()).toBe('{"done":2}');
      const [, got] = await dealer.receive();
      expect(got!.toString()).toBe(`{"done":2,"values":["${i}","x${i}"]}`);
    }
  });

  it("answers a plain JSON client's BATCH in the seed's form, byte for byte, and columns in columns", async () => {
    const node = await h.node();
    const dealer = h.dealer(node);
    const ask = async (text: string) => {
      await dealer.send([EMPTY, frame(text)]);
      const [, body] = await dealer.receive();
      return body!.toString();
    };
    expect(
      await ask(
        '{"op":"BATCH","ops":[{"op":"PUT","key":"k","value":"v"},{"op":"GET_ONE","key":"k"},{"op":"GET_ONE","key":"no"}],"id":1}',
      ),
    ).toBe(
      '{"results":[{"ok":true},{"key":"k","value":"v"},{"error":{"code":"NOT_FOUND","message":"key not found: \\"no\\""}}],"id":1}',
    );
    expect(
      await ask('{"op":"BATCH","columns":{"ops":"PPG","keys":["a","b","a"],"values":["1","2"]},"id":2}'),
    ).toBe('{"done":3,"values":["1"],"id":2}');
    expect(await ask('{"op":"BATCH","columns":{"ops":"GDG","keys":["b","b","b"]},"id":3}')).toBe(
      '{"done":3,"values":["2",null],"deleted":[true],"id":3}',
    );
    expect(await ask('{"op":"GET_ONE","key":"a"}')).toBe('{"key":"a","value":"1"}');
    expect(
      JSON.parse(await ask('{"op":"BATCH","columns":{"ops":"PQ","keys":["a"],"values":["1"]},"id":4}')),
    ).toEqual({
      error: { code: ErrorCode.INVALID_REQUEST, message: expect.any(String), field: "columns" },
      id: 4,
    });
  });
});
