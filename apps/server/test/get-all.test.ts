import {
  decodeReply,
  decodeRequest,
  ErrorCode,
  encodeCursor,
  encodeReply,
  encodeRequest,
  type GetAllReply,
  resolveLimits,
} from "@zkv/protocol";
import { describe, expect, it } from "vitest";
import { getAllPage } from "../src/requests/get-all.js";
import { handleNow, thrown } from "./helpers.js";
import { withCursor, withCursorField } from "./support/get-all-pages.js";
import { context } from "./support/handler-context.js";

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
