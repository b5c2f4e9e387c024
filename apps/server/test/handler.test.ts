import {
  DEFAULT_LIMITS,
  decodeReply,
  ErrorCode,
  encodeReply,
  type Limits,
  type Reply,
  type Request,
  type RequestId,
} from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { handleNow } from "./helpers.js";
import { context } from "./support/handler-context.js";

/** The reply as a client sees it: encoded, then decoded and validated with the op's reply schema. */
function onTheWire(reply: Reply, op: Request["op"], limits: Limits = DEFAULT_LIMITS) {
  return decodeReply(encodeReply(reply), op, limits);
}

describe("handleRequest", () => {
  it("acknowledges a PUT with exactly {ok:true} and stores the value", () => {
    const ctx = context();
    const reply = handleNow({ op: "PUT", key: "k", value: "v" }, ctx);
    expect(reply).toStrictEqual({ ok: true });
    expect(ctx.store.get("k")).toBe("v");
    expect(onTheWire(reply, "PUT")).toStrictEqual({ ok: true });
  });

  it("overwrites on a second PUT of the same key", () => {
    const ctx = context();
    handleNow({ op: "PUT", key: "k", value: "old" }, ctx);
    handleNow({ op: "PUT", key: "k", value: "new" }, ctx);
    expect(handleNow({ op: "GET_ONE", key: "k" }, ctx)).toStrictEqual({ key: "k", value: "new" });
  });

  it("answers GET_ONE with exactly {key,value}", () => {
    const ctx = context();
    handleNow({ op: "PUT", key: "k", value: "v" }, ctx);
    const reply = handleNow({ op: "GET_ONE", key: "k" }, ctx);
    expect(reply).toStrictEqual({ key: "k", value: "v" });
    expect(encodeReply(reply).toString()).toBe('{"key":"k","value":"v"}');
  });

  it("answers GET_ONE of a missing key with a NOT_FOUND error reply, echoing the id", () => {
    const ctx = context();
    const reply = handleNow({ op: "GET_ONE", key: "missing", id: 7 }, ctx);
    expect(reply).toMatchObject({ error: { code: ErrorCode.NOT_FOUND }, id: 7 });
    const wire = onTheWire(reply, "GET_ONE");
    expect(wire).toMatchObject({ error: { code: "NOT_FOUND", message: expect.stringContaining("missing") } });
  });

  it("reports whether DELETE removed anything", () => {
    const ctx = context();
    handleNow({ op: "PUT", key: "k", value: "v" }, ctx);
    expect(handleNow({ op: "DELETE", key: "k" }, ctx)).toStrictEqual({ ok: true, deleted: true });
    expect(handleNow({ op: "DELETE", key: "k" }, ctx)).toStrictEqual({ ok: true, deleted: false });
    expect(handleNow({ op: "GET_ONE", key: "k" }, ctx)).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("applies nothing of a write that arrives after its deadline, and answers TIMEOUT", () => {
    const ctx = context();
    handleNow({ op: "PUT", key: "k", value: "first" }, ctx);
    const past = Date.now() - 1000;
    for (const late of [
      { op: "PUT", key: "k", value: "late", deadline: past, id: 1 },
      { op: "DELETE", key: "k", deadline: past, id: 2 },
      { op: "BATCH", columns: { ops: "P", keys: ["k"], values: ["late"] }, deadline: past, id: 3 },
    ] as Request[]) {
      const reply = handleNow(late, ctx) as { error: { code: string; message: string }; id: number };
      expect(reply.error.code).toBe(ErrorCode.TIMEOUT);
      expect(reply.error.message).toMatch(/after its deadline.*nothing was applied/);
      expect(reply.id).toBe(late.id);
    }
    expect(ctx.store.get("k")).toBe("first");
    // In time, the same write lands.
    handleNow({ op: "PUT", key: "k", value: "in time", deadline: Date.now() + 60_000 }, ctx);
    expect(ctx.store.get("k")).toBe("in time");
  });

  it("answers PING with the node id", () => {
    const reply = handleNow({ op: "PING", id: "p" }, context());
    expect(reply).toStrictEqual({ ok: true, node: "node-1", id: "p" });
    expect(onTheWire(reply, "PING")).toStrictEqual(reply);
  });

  it("echoes any request id verbatim on every op, and adds none when absent", () => {
    const id: fc.Arbitrary<RequestId> = fc.oneof(
      fc.string({ maxLength: 64 }),
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    );
    const request: fc.Arbitrary<Request> = fc.oneof(
      fc.record({ op: fc.constant("PUT" as const), key: fc.string(), value: fc.string() }),
      fc.record({ op: fc.constant("GET_ONE" as const), key: fc.constant("present") }),
      fc.record({ op: fc.constant("GET_ONE" as const), key: fc.constant("absent") }),
      fc.record({ op: fc.constant("DELETE" as const), key: fc.string() }),
      fc.record({ op: fc.constant("GET_ALL" as const) }),
      fc.record({ op: fc.constant("PING" as const) }),
    );
    fc.assert(
      fc.property(request, fc.option(id, { nil: undefined }), (req, reqId) => {
        const ctx = context();
        ctx.store.put("present", "here");
        const withId: Request = reqId === undefined ? req : { ...req, id: reqId };
        const reply = handleNow(withId, ctx);
        if (reqId === undefined) expect(Object.hasOwn(reply, "id")).toBe(false);
        else expect(reply.id).toBe(reqId);
        // Whatever the op and outcome, the client can decode the reply.
        const wire = onTheWire(reply, req.op);
        expect(wire.id).toBe(reqId === 0 ? 0 : reqId);
      }),
    );
  });
});
