import { DEFAULT_LIMITS, encodeReply } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { NodeMetrics } from "../src/node/metrics.js";
import { answer } from "../src/requests/answer.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";

/**
 * The reply frame answer() builds (a string handed to zeromq.js) is the bytes encodeReply would
 * have sent, for any key and value: the wire stays what it was when replies were Buffers.
 */

const log = createLogger("silent", {});

function node() {
  const store = new MemoryStore();
  const ctx: HandlerContext = { nodeId: "node-0", store, limits: DEFAULT_LIMITS };
  return { ctx, metrics: new NodeMetrics(store, "node-0", false) };
}

/** Sends `body` as a delimiter-less DEALER would and returns the reply's frames. */
function ask(n: ReturnType<typeof node>, body: object) {
  const { reply } = answer([Buffer.from("peer"), Buffer.from(JSON.stringify(body))], n.ctx, n.metrics, log);
  if (reply instanceof Promise) throw new Error("a memory store answers at once");
  return reply;
}

describe("reply frames", () => {
  it("carry the envelope, then the reply's UTF-8 JSON, byte for byte encodeReply's", () => {
    const n = node();
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", minLength: 1 }),
        fc.string({ unit: "binary" }),
        (key, value) => {
          const put = ask(n, { op: "PUT", key, value, id: 1 });
          expect(put.length).toBe(2);
          expect(put[0]).toEqual(Buffer.from("peer"));
          expect(Buffer.from(put[1]!)).toEqual(encodeReply({ ok: true, id: 1 }));
          const got = ask(n, { op: "GET_ONE", key, id: "g" });
          expect(Buffer.from(got[1]!)).toEqual(encodeReply({ key, value, id: "g" }));
        },
      ),
    );
  });

  it("keeps the seed's GET_ONE reply, and a 100-byte value's (sent as one string frame)", () => {
    const n = node();
    ask(n, { op: "PUT", key: "k", value: "v" });
    expect(ask(n, { op: "GET_ONE", key: "k" })[1]).toBe('{"key":"k","value":"v"}');
    ask(n, { op: "PUT", key: "k", value: "é".repeat(100) });
    expect(Buffer.from(ask(n, { op: "GET_ONE", key: "k" })[1]!).length).toBe(222);
  });
});
