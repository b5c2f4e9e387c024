import {
  decodeReply,
  encodeCursor,
  encodeReply,
  type GetAllReply,
  type Request,
  resolveLimits,
} from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { handleNow } from "./helpers.js";
import { withCursor, withCursorField } from "./support/get-all-pages.js";
import { context } from "./support/handler-context.js";

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
