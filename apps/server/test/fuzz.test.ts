import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { decodeReply, decodeRequest, ERROR_CODES, type Reply } from "@zkv/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dealer } from "zeromq";
import type { ZkvNode } from "../src/node/node.js";
import { call, EMPTY, frame, Harness } from "./helpers.js";
import { LIMITS } from "./support/fuzz-fields.js";
import { message } from "./support/fuzz-messages.js";

/**
 * Property-based fuzzing of the wire against a live node: thousands of malformed (and some valid)
 * messages, each of which must get exactly one well-formed reply, without the node falling over.
 * The generators are in support/fuzz-fields.ts and support/fuzz-messages.ts.
 */

/** FC_NUM_RUNS overrides the default run count, like every other property in the repo. */
const NUM_RUNS = process.env.FC_NUM_RUNS ? Number(process.env.FC_NUM_RUNS) : 3000;

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
