import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  decodeReply,
  decodeRequest,
  ERROR_CODES,
  encodeCursor,
  type Limits,
  OPS,
  type Reply,
  resolveLimits,
} from "@zkv/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dealer } from "zeromq";
import type { ZkvNode } from "../src/node/node.js";
import { call, EMPTY, frame, Harness } from "./helpers.js";

/**
 * Property-based fuzzing of the wire against a live node: thousands of malformed (and some valid)
 * messages, each of which must get exactly one well-formed reply, without the node falling over.
 * Limits are small so messages "near the limits" are cheap to generate.
 */

const LIMITS: Limits = resolveLimits({
  maxMessageBytes: 64 * 1024,
  maxKeyBytes: 1024,
  maxValueBytes: 16 * 1024,
  maxPageSize: 50,
});

/** FC_NUM_RUNS overrides the default run count, like every other property in the repo. */
const NUM_RUNS = process.env.FC_NUM_RUNS ? Number(process.env.FC_NUM_RUNS) : 3000;

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** Characters that stress encoders: JSON escapes, multi-byte UTF-8, surrogates (paired and lone). */
const nastyChar = fc.constantFrom(
  "a",
  "Z",
  '"',
  "\\",
  "/",
  "\u0000",
  "\u0001",
  "\n",
  "\u007f",
  "é",
  "€",
  "\u2028",
  "\u{1f600}",
  "\ud800",
  "\udfff",
  "\ufeff",
  "\uffff",
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 30 });

/** A string whose UTF-8 size is close to `bytes`: one repeated character, so big ones stay cheap. */
const stringNear = (bytes: number) =>
  fc
    .tuple(fc.integer({ min: -4, max: 4 }), nastyChar)
    .map(([delta, c]) => c.repeat(Math.max(0, Math.floor((bytes + delta) / Buffer.byteLength(c)))));

const hugeString = fc.oneof(
  stringNear(LIMITS.maxKeyBytes),
  stringNear(LIMITS.maxValueBytes),
  stringNear(LIMITS.maxMessageBytes - 40),
  stringNear(LIMITS.maxMessageBytes),
);

const validId = fc.oneof(fc.string({ maxLength: 64 }), fc.integer(), fc.maxSafeInteger());
const cursor = fc.oneof(
  fc.string({ maxLength: 3 }).map(encodeCursor),
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "=", "eyJ2IjoxLCJhZnRlciI6ImEifQ==", encodeCursor("a").toLowerCase()),
);

/** Any field value: mostly wrong types, sometimes the right one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.integer() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -0, 1.5, 1e308, -1, Number.MAX_SAFE_INTEGER + 2, true, false, null),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant({ __proto__: null, polluted: true }) },
);

const op = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "put",
      "GET",
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      " PUT",
      "",
    ),
  },
  { weight: 2, arbitrary: anyValue },
);

/** An anti-entropy range ask: replicas, a level, node or leaf indices, sometimes out of bounds. */
const rangeAsk = fc.record(
  {
    replicas: fc.oneof(fc.array(nastyString, { maxLength: 4 }), anyValue),
    level: fc.oneof(fc.integer({ min: -1, max: 3 }), anyValue),
    nodes: fc.oneof(fc.array(fc.integer({ min: -2, max: 1100 }), { maxLength: 5 }), anyValue),
    leaves: fc.oneof(fc.array(fc.integer({ min: -2, max: 1100 }), { maxLength: 5 }), anyValue),
  },
  { requiredKeys: [] },
);

/** Request-shaped objects with every field randomly present, absent or of the wrong type. */
const requestLike = fc
  .record(
    {
      op,
      key: fc.oneof(nastyString, anyValue),
      value: fc.oneof(nastyString, anyValue),
      id: fc.oneof(validId, anyValue),
      limit: fc.oneof(fc.integer({ min: -2, max: 100 }), anyValue),
      cursor: fc.oneof(cursor, anyValue),
      epoch: fc.oneof(fc.integer({ min: -1, max: 3 }), anyValue),
      peer: fc.oneof(nastyString, anyValue),
      ranges: fc.oneof(fc.array(rangeAsk, { maxLength: 3 }), anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

/** Ops a node answers only as part of a managed or replicated cluster. */
const NEEDS_CLUSTER = new Set<string>([
  "MIGRATION",
  "MIGRATE_FETCH",
  "MIGRATE_COMMIT",
  "IMPORT",
  "REPLICATE",
  "REPLICA_GET",
  "REPLICA_HANDOFF",
  "TRIM",
  "AE_ROOTS",
  "AE_HASHES",
  "AE_KEYS",
  "REPAIR",
]);

/** JSON text with `__proto__` / `constructor` members, written by hand since JSON.stringify drops them. */
const protoJson = fc
  .tuple(
    fc.constantFrom(...OPS),
    fc.constantFrom(
      '"__proto__":{"op":"PING"}',
      '"__proto__":null',
      '"__proto__":{"polluted":true}',
      '"constructor":{"prototype":{"polluted":true}}',
      '"__proto__":{"key":"inherited","value":"inherited"}',
    ),
    fc.boolean(),
  )
  .map(([o, member, first]) =>
    first ? `{${member},"op":"${o}","key":"k","value":"v"}` : `{"op":"${o}",${member},"key":"k","value":"v"}`,
  );

/** Brackets nested up to far beyond maxJsonDepth, sometimes around a request, sometimes inside one. */
const deepJson = fc
  .tuple(
    fc.integer({ min: 1, max: 5000 }),
    fc.constantFrom("[", '{"a":'),
    fc.constantFrom("outer", "value", "raw"),
  )
  .map(([depth, open, where]) => {
    const close = open === "[" ? "]" : "}";
    const nest = (inner: string) => open.repeat(depth) + inner + close.repeat(depth);
    if (where === "outer") return nest('{"op":"PING"}');
    if (where === "value") return `{"op":"PUT","key":"k","value":${nest("1")}}`;
    return open.repeat(depth);
  });

/** A valid request's text with one byte flipped, inserted or removed. */
const mutatedValid = fc
  .tuple(
    fc.constantFrom(
      '{"op":"PUT","key":"k","value":"v"}',
      '{"op":"GET_ONE","key":"k","id":1}',
      '{"op":"GET_ALL","limit":2}',
      '{"op":"DELETE","key":"k"}',
      '{"op":"PING","id":"x"}',
    ),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom("flip", "insert", "delete"),
  )
  .map(([text, at, byte, how]) => {
    const bytes = [...frame(text)];
    const i = at % bytes.length;
    if (how === "flip") bytes[i] = byte;
    else if (how === "insert") bytes.splice(i, 0, byte);
    else bytes.splice(i, 1);
    return Buffer.from(bytes);
  });

/** Valid JSON with bytes that are not UTF-8 spliced into a string. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom(
      [0xff],
      [0xc0, 0x80], // overlong NUL
      [0x80], // lone continuation byte
      [0xe2, 0x82], // truncated sequence
      [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded as UTF-8
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    ),
    fc.constantFrom("key", "value", "op"),
  )
  .map(([bad, where]) => {
    const template = { op: "PUT", key: "k", value: "v" } as Record<string, string>;
    template[where] = "@@";
    const [before, after] = JSON.stringify(template).split("@@") as [string, string];
    return Buffer.concat([frame(before), Buffer.from(bad), frame(after)]);
  });

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => frame(JSON.stringify(v))) },
  { weight: 6, arbitrary: requestLike.map(frame) },
  { weight: 1, arbitrary: protoJson.map(frame) },
  { weight: 1, arbitrary: deepJson.map(frame) },
  { weight: 2, arbitrary: mutatedValid },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }).map(frame) },
);

/**
 * The frames a DEALER sends: [empty, body] mostly; no delimiter; or the wrong number of frames.
 * Frames stay under the socket cap (2 × maxMessageBytes): beyond it ZeroMQ drops the connection
 * without a reply, by design (node.test.ts covers that).
 */
const SOCKET_CAP = 2 * LIMITS.maxMessageBytes;
const message = fc
  .oneof(
    { weight: 8, arbitrary: body.map((b) => ({ frames: [EMPTY, b], delimited: true })) },
    {
      weight: 1,
      arbitrary: body.filter((b) => b.length > 0).map((b) => ({ frames: [b], delimited: false })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(body, { maxLength: 3 })
        .filter((bodies) => bodies.length !== 1)
        .map((bodies) => ({ frames: [EMPTY, ...bodies], delimited: true })),
    },
  )
  .filter((m) => m.frames.every((f) => f.length <= SOCKET_CAP));

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

const harness = new Harness();
let node: ZkvNode;
let dealer: Dealer;
let pings = 0;
/** How often each outcome (an error code, or "ok") came up, to check the fuzz reaches every path. */
const outcomes = new Map<string, number>();

beforeAll(async () => {
  node = await harness.node(LIMITS);
  dealer = harness.dealer(node);
});
afterAll(() => harness.cleanup());

/** The reply's body frame, checking the envelope mirrors what was sent. */
function replyFrame(received: Buffer[], delimited: boolean): Buffer {
  expect(received).toHaveLength(delimited ? 2 : 1);
  if (delimited) expect(received[0]).toHaveLength(0);
  return received[received.length - 1]!;
}

/** An id as it reads back from JSON (-0 travels as 0). */
function wireId(id: unknown): unknown {
  return id === 0 ? 0 : id;
}

async function checkOne(m: { frames: Buffer[]; delimited: boolean }): Promise<void> {
  const expected = decodeRequest(m.frames.slice(m.delimited ? 1 : 0), LIMITS);
  await dealer.send(m.frames);
  const replyBytes = replyFrame(await dealer.receive(), m.delimited);

  // Every reply is one a client with the same limits accepts: size, UTF-8, depth and shape.
  let reply: Reply;
  try {
    reply = decodeReply(replyBytes, undefined, LIMITS);
  } catch (err) {
    throw new Error(
      `undecodable reply (${replyBytes.length} bytes): ${String(err)}: ${replyBytes.subarray(0, 200).toString()}`,
    );
  }

  const outcome = "error" in reply ? reply.error.code : "ok";
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

  if (!expected.ok) {
    expect(reply).toHaveProperty("error");
    if (!("error" in reply)) return;
    expect(ERROR_CODES).toContain(reply.error.code);
    expect(reply.error.code).toBe(expected.error.code);
    expect(typeof reply.error.message).toBe("string");
    expect(reply.id).toBe(wireId(expected.id));
  } else {
    const request = expected.request;
    const typed = decodeReply(replyBytes, request.op, LIMITS);
    if ("error" in typed) {
      if (NEEDS_CLUSTER.has(request.op)) {
        // This node runs alone (no Consul): cluster and replication ops are refused, not obeyed.
        expect(typed.error.code).toBe("INVALID_REQUEST");
      } else {
        // The one error a valid key request may get.
        expect(request.op).toBe("GET_ONE");
        expect(typed.error.code).toBe("NOT_FOUND");
      }
    }
    expect(reply.id).toBe(wireId(request.id));
  }

  // Exactly one reply: the next thing on the socket is the answer to this PING.
  const id = ++pings;
  await dealer.send([EMPTY, frame(JSON.stringify({ op: "PING", id }))]);
  const pong = decodeReply(replyFrame(await dealer.receive(), true), "PING", LIMITS);
  expect(pong).toEqual({ ok: true, node: expect.any(String), id });
}

describe("wire fuzzing against a live node", () => {
  it(`answers ${NUM_RUNS} random, malformed and hostile messages with exactly one well-formed reply each`, async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;

    await fc.assert(fc.asyncProperty(message, checkOne), { numRuns: NUM_RUNS });

    // Still serving correctly after the whole run.
    expect(await call(dealer, { op: "PUT", key: "after-fuzz", value: "ok", id: "p" }, LIMITS)).toEqual({
      ok: true,
      id: "p",
    });
    expect(await call(dealer, { op: "GET_ONE", key: "after-fuzz" }, LIMITS)).toEqual({
      key: "after-fuzz",
      value: "ok",
    });
    expect(Object.prototype).not.toHaveProperty("polluted");
    if (NUM_RUNS >= 1000) {
      // The generators reach every decoding outcome, and valid requests too.
      for (const code of [
        "ok",
        "NOT_FOUND",
        "BAD_JSON",
        "BAD_FRAMES",
        "INVALID_REQUEST",
        "UNKNOWN_OP",
        "TOO_LARGE",
      ]) {
        expect(outcomes.get(code), `${code} in ${JSON.stringify([...outcomes])}`).toBeGreaterThan(0);
      }
    }

    gc();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    expect(grownMb).toBeLessThan(200);
  });
});
