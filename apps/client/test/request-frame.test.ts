import { decodeRequest } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestFrame } from "../src/lib/cluster/request-frame.js";

/** Pure unit tests: the text of a request's frame, no sockets. */

/** Key ops as the client makes them: any strings (surrogates, quotes, control characters included), with or without options. */
const requests: fc.Arbitrary<{ op: string }> = fc.oneof(
  fc.record(
    {
      op: fc.constant("PUT" as const),
      key: fc.string({ unit: "binary" }),
      value: fc.string({ unit: "binary" }),
      ttlMs: fc.integer({ min: 1, max: 1e9 }),
      w: fc.integer({ min: 1, max: 5 }),
    },
    { requiredKeys: ["op", "key", "value"] },
  ),
  fc.record(
    { op: fc.constant("GET_ONE" as const), key: fc.string({ unit: "binary" }), withVersion: fc.boolean() },
    { requiredKeys: ["op", "key"] },
  ),
  fc.record({ op: fc.constant("DELETE" as const), key: fc.string() }),
  fc.constant({ op: "PING" as const }),
  // BATCHes in columns, around the size above which the frame is made in one stringify.
  fc.tuple(fc.constantFrom(1, 50, 1000, 1001, 4000), fc.string({ unit: "binary" })).map(([n, text]) => ({
    op: "BATCH" as const,
    columns: {
      ops: "P".repeat(n),
      keys: Array.from({ length: n }, (_, i) => `${text}${i}`),
      values: Array.from({ length: n }, (_, i) => `${i}${text}`),
    },
  })),
  fc.constant({ op: "GET_ALL" as const }),
);

describe("requestFrame", () => {
  it("is the request's JSON with its id, byte for byte what JSON.stringify({ ...request, id }) gives", () => {
    fc.assert(
      fc.property(requests, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (request, id) => {
        const frame = requestFrame(request, id);
        expect(Buffer.from(frame, "utf8")).toEqual(Buffer.from(JSON.stringify({ ...request, id }), "utf8"));
        expect(JSON.parse(frame)).toEqual({ ...request, id });
      }),
    );
  });

  it("gives a write (PUT, DELETE, BATCH) its deadline before the id, and no other op one", () => {
    fc.assert(
      fc.property(
        requests,
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (request, id, deadline) => {
          const frame = requestFrame(request, id, deadline);
          const write = request.op === "PUT" || request.op === "DELETE" || request.op === "BATCH";
          expect(frame).toBe(JSON.stringify(write ? { ...request, deadline, id } : { ...request, id }));
        },
      ),
    );
    expect(requestFrame({ op: "BATCH", ops: [] }, 7, 42)).toBe(
      '{"op":"BATCH","ops":[],"deadline":42,"id":7}',
    );
  });

  it("keeps the seed's payloads: a PUT a node decodes as the same request, id included", () => {
    const frame = requestFrame({ op: "PUT", key: "k", value: "v" }, 7);
    expect(frame).toBe('{"op":"PUT","key":"k","value":"v","id":7}');
    const decoded = decodeRequest(Buffer.from(frame));
    expect(decoded.ok && decoded.request).toEqual({ op: "PUT", key: "k", value: "v", id: 7 });
  });
});
