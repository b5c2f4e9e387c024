import {
  DEFAULT_LIMITS,
  decodeReply,
  decodeRequest,
  ErrorCode,
  encodeCursor,
  encodeReply,
  encodeRequest,
  type GetAllReply,
  type Limits,
  type Reply,
  type Request,
  type RequestId,
  resolveLimits,
} from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getAllPage } from "../src/requests/get-all.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore } from "../src/store/index.js";
import { handleNow, thrown } from "./helpers.js";

function context(limits: Limits = DEFAULT_LIMITS): HandlerContext {
  return { nodeId: "node-1", store: new MemoryStore(), limits };
}

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

describe("GET_ALL", () => {
  it("returns an empty collection and no cursor for an empty store", () => {
    const reply = handleNow({ op: "GET_ALL" }, context());
    expect(reply).toStrictEqual({ collection: [] });
  });

  it("returns every entry in key order, without cursor, when everything fits", () => {
    const ctx = context();
    for (const k of ["b", "a", "c"]) handleNow({ op: "PUT", key: k, value: k.repeat(3) }, ctx);
    const reply = handleNow({ op: "GET_ALL", id: "all" }, ctx);
    expect(reply).toStrictEqual({
      collection: [
        { key: "a", value: "aaa" },
        { key: "b", value: "bbb" },
        { key: "c", value: "ccc" },
      ],
      id: "all",
    });
  });

  it("honours limit and resumes from the returned cursor", () => {
    const ctx = context();
    for (const k of ["a", "b", "c", "d", "e"]) ctx.store.put(k, k);
    const first = getAllPage({ op: "GET_ALL", limit: 2 }, ctx);
    expect(first.collection.map((e) => e.key)).toEqual(["a", "b"]);
    expect(first.cursor).toEqual(expect.any(String));
    const second = getAllPage({ op: "GET_ALL", limit: 2, cursor: first.cursor! }, ctx);
    expect(second.collection.map((e) => e.key)).toEqual(["c", "d"]);
    const third = getAllPage({ op: "GET_ALL", limit: 2, cursor: second.cursor! }, ctx);
    expect(third).toStrictEqual({ collection: [{ key: "e", value: "e" }] });
  });

  it("with versions: true, gives each entry the version and expiry a versioned GET_ONE gives", () => {
    const ctx = context();
    handleNow({ op: "PUT", key: "a", value: "1" }, ctx);
    handleNow({ op: "PUT", key: "b", value: "2", ttl: 60 }, ctx);
    handleNow({ op: "PUT", key: "a", value: "3" }, ctx);
    const page = getAllPage({ op: "GET_ALL", versions: true }, ctx);
    const one = (key: string) => handleNow({ op: "GET_ONE", key, withVersion: true }, ctx);
    expect(page.collection).toStrictEqual([
      { key: "a", value: "3", version: (one("a") as { version: number }).version },
      {
        key: "b",
        value: "2",
        version: (one("b") as { version: number }).version,
        expiresAt: (one("b") as { expiresAt: number }).expiresAt,
      },
    ]);
    // Without the flag the seed's reply is unchanged: key and value only.
    expect(handleNow({ op: "GET_ALL" }, ctx)).toStrictEqual({
      collection: [
        { key: "a", value: "3" },
        { key: "b", value: "2" },
      ],
    });
  });

  it("gives no cursor when the last page is exactly full", () => {
    const ctx = context();
    for (const k of ["a", "b"]) ctx.store.put(k, k);
    expect(getAllPage({ op: "GET_ALL", limit: 2 }, ctx).cursor).toBeUndefined();
  });

  it("returns everything to a plain GET_ALL that fits in one message, however many entries", () => {
    const ctx = context(resolveLimits({ maxPageSize: 3 }));
    const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`);
    for (const k of keys) ctx.store.put(k, k);
    const page = getAllPage({ op: "GET_ALL" }, ctx);
    expect(page.collection.map((e) => e.key)).toEqual(keys);
    expect(page.cursor).toBeUndefined();
  });

  it("caps limit at maxPageSize", () => {
    const ctx = context(resolveLimits({ maxPageSize: 3 }));
    for (const k of ["a", "b", "c", "d", "e"]) ctx.store.put(k, k);
    const page = getAllPage({ op: "GET_ALL", limit: 1000 }, ctx);
    expect(page.collection).toHaveLength(3);
    expect(page.cursor).toBeDefined();
  });

  it("skips entries deleted between pages and shows ones added after the cursor", () => {
    const ctx = context();
    for (const k of ["a", "b", "c", "d"]) ctx.store.put(k, k);
    const first = getAllPage({ op: "GET_ALL", limit: 2 }, ctx);
    ctx.store.delete("c");
    ctx.store.put("bb", "bb");
    ctx.store.put("0", "before the cursor");
    const rest = getAllPage({ op: "GET_ALL", cursor: first.cursor! }, ctx);
    expect(rest).toStrictEqual({
      collection: [
        { key: "bb", value: "bb" },
        { key: "d", value: "d" },
      ],
    });
  });

  it("refuses a cursor it did not issue with INVALID_REQUEST on field cursor", () => {
    const ctx = context();
    ctx.store.put("a", "a");
    for (const cursor of ["garbage", "", "!!!", encodeCursor("a").slice(0, -1), `${encodeCursor("a")}A`]) {
      const err = thrown(() => handleNow({ op: "GET_ALL", cursor }, ctx));
      expect(err.code).toBe(ErrorCode.INVALID_REQUEST);
      expect(err.field).toBe("cursor");
      // The same request arriving from the wire is refused before it reaches the handler.
      const decoded = decodeRequest(encodeRequest({ op: "GET_ALL", cursor }));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error.code).toBe(ErrorCode.INVALID_REQUEST);
    }
  });

  it("keeps a full page with a long last key, cursor included, within maxMessageBytes", () => {
    // Four entries fill the page budget to the byte; the last key is as long as keys may be, so its
    // cursor (base64 of the key) is several KiB.
    const limits = resolveLimits({ maxMessageBytes: 64 * 1024, maxKeyBytes: 4096, maxValueBytes: 16 * 1024 });
    const ctx = context(limits);
    const budget = limits.maxMessageBytes - 512;
    const valueLength = budget / 4 - (4096 + 2) - 2 - 20;
    for (const c of ["a", "b", "c", "d", "e"]) ctx.store.put(c.repeat(4096), "v".repeat(valueLength));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const reply: GetAllReply = withCursor(handleNow({ op: "GET_ALL", ...withCursorField(cursor) }, ctx));
      const bytes = encodeReply(reply).length;
      expect(bytes).toBeLessThanOrEqual(limits.maxMessageBytes);
      expect(() => decodeReply(encodeReply(reply), "GET_ALL", limits)).not.toThrow();
      seen.push(...reply.collection.map((e) => e.key[0]!));
      cursor = reply.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
  });
});

function withCursorField(cursor: string | undefined): { cursor?: string } {
  return cursor === undefined ? {} : { cursor };
}

function withCursor(reply: Reply): GetAllReply {
  if ("error" in reply) throw new Error(`unexpected error reply ${JSON.stringify(reply)}`);
  return reply as GetAllReply;
}

describe("GET_ALL paging (property)", () => {
  // Small limits so pages break often, on entry count and on bytes, with keys long enough for their
  // cursors to matter.
  const limitsArb = fc
    .record({
      maxMessageBytes: fc.integer({ min: 1024, max: 8192 }),
      maxKeyBytes: fc.integer({ min: 1, max: 1024 }),
      maxValueBytes: fc.integer({ min: 1, max: 4096 }),
      maxPageSize: fc.integer({ min: 1, max: 10 }),
    })
    .map((l) =>
      resolveLimits({
        ...l,
        maxKeyBytes: Math.min(l.maxKeyBytes, l.maxMessageBytes),
        maxValueBytes: Math.min(l.maxValueBytes, l.maxMessageBytes),
      }),
    );
  const key = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ minLength: 100, maxLength: 1024 }),
    fc.integer({ min: 1, max: 1024 }).map((n) => "k".repeat(n)),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.integer({ min: 0, max: 4096 }).map((n) => "x".repeat(n)),
  );
  const id = fc.option(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 64 }).filter((s) => s.length <= 64),
      fc.integer({ min: -1e15, max: 1e15 }),
    ),
    { nil: undefined },
  );

  it("walking cursors returns every entry exactly once, in order, each page within the limits", () => {
    fc.assert(
      fc.property(
        limitsArb,
        fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 60 }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        id,
        (limits, candidates, limit, reqId) => {
          const idField = reqId === undefined ? {} : { id: reqId };
          // Only entries a client could have stored (within the key and value limits) and that could
          // be listed on a page of their own, cursor included: a lone entry larger than that cannot
          // be paged by any server.
          const entries = candidates.filter(
            ([k, v]) =>
              Buffer.byteLength(k) <= limits.maxKeyBytes &&
              Buffer.byteLength(v) <= limits.maxValueBytes &&
              encodeReply({ collection: [{ key: k, value: v }], cursor: encodeCursor(k), ...idField })
                .length <= limits.maxMessageBytes,
          );
          const ctx = context(limits);
          for (const [k, v] of entries) ctx.store.put(k, v);
          const expected = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const got: [string, string][] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const request: Request = {
              op: "GET_ALL",
              ...(limit === undefined ? {} : { limit }),
              ...withCursorField(cursor),
              ...idField,
            };
            const reply = withCursor(handleNow(request, ctx));
            pages++;
            const frame = encodeReply(reply);
            expect(frame.length).toBeLessThanOrEqual(limits.maxMessageBytes);
            // A client with the same limits accepts every page.
            const decoded = decodeReply(frame, "GET_ALL", limits) as GetAllReply;
            expect(decoded.id).toBe(reqId === 0 ? 0 : reqId);
            // `limit` is honoured up to maxPageSize; without one only the byte budget splits pages.
            if (limit !== undefined) {
              expect(reply.collection.length).toBeLessThanOrEqual(Math.min(limit, limits.maxPageSize));
            }
            if (reply.cursor !== undefined) expect(reply.collection.length).toBeGreaterThan(0);
            got.push(...reply.collection.map((e): [string, string] => [e.key, e.value]));
            cursor = reply.cursor;
            expect(pages).toBeLessThanOrEqual(entries.length + 1);
          } while (cursor !== undefined);
          expect(got).toEqual(expected);
        },
      ),
    );
  });
});
