import { describe, expect, it } from "vitest";
import {
  decodeReply,
  decodeRequest,
  ErrorCode,
  encodeCursor,
  encodeReply,
  toErrorReply,
  ZkvError,
} from "../src/index.js";
import { bytes } from "./helpers.js";

describe("the seed's request forms", () => {
  const cases: [string, unknown][] = [
    ['{"op":"PUT","key":"k","value":"v"}', { op: "PUT", key: "k", value: "v" }],
    ['{"op":"GET_ONE","key":"k"}', { op: "GET_ONE", key: "k" }],
    ['{"op":"DELETE","key":"k"}', { op: "DELETE", key: "k" }],
    ['{"op":"GET_ALL"}', { op: "GET_ALL" }],
    ['{"op":"PING"}', { op: "PING" }],
  ];

  it.each(cases)("decodes %s exactly", (text, expected) => {
    const result = decodeRequest(bytes(text));
    expect(result).toEqual({ ok: true, request: expected });
    if (result.ok) expect(Object.keys(result.request)).toEqual(Object.keys(expected as object));
  });

  it("accepts a one-element frame list like a single buffer", () => {
    expect(decodeRequest([bytes('{"op":"PING"}')])).toEqual({ ok: true, request: { op: "PING" } });
  });

  it("accepts the optional GET_ALL fields, ids and the empty key", () => {
    const cursor = encodeCursor("k1");
    expect(decodeRequest(bytes(`{"op":"GET_ALL","limit":2,"cursor":"${cursor}","id":"a"}`))).toEqual({
      ok: true,
      request: { op: "GET_ALL", limit: 2, cursor, id: "a" },
    });
    expect(decodeRequest(bytes('{"op":"GET_ONE","key":"","id":42}'))).toEqual({
      ok: true,
      request: { op: "GET_ONE", key: "", id: 42 },
    });
  });

  it("strips unknown fields", () => {
    const result = decodeRequest(bytes('{"op":"DELETE","key":"k","extra":[1,{"a":2}],"value":"x"}'));
    expect(result).toEqual({ ok: true, request: { op: "DELETE", key: "k" } });
  });
});

describe("the seed's reply forms", () => {
  const cases: [string, Parameters<typeof encodeReply>[0]][] = [
    ['{"ok":true}', { ok: true }],
    ['{"key":"k","value":"v"}', { key: "k", value: "v" }],
    ['{"ok":true,"deleted":true}', { ok: true, deleted: true }],
    ['{"ok":true,"deleted":false}', { ok: true, deleted: false }],
    [
      '{"collection":[{"key":"k1","value":"v1"},{"key":"k2","value":"v2"}]}',
      {
        collection: [
          { key: "k1", value: "v1" },
          { key: "k2", value: "v2" },
        ],
      },
    ],
    ['{"ok":true,"node":"node-1"}', { ok: true, node: "node-1" }],
    [
      '{"error":{"code":"NOT_FOUND","message":"no such key"},"id":7}',
      toErrorReply(new ZkvError(ErrorCode.NOT_FOUND, "no such key"), 7),
    ],
  ];

  it.each(cases)("encodes and decodes %s", (text, reply) => {
    expect(encodeReply(reply).toString("utf8")).toBe(text);
    expect(decodeReply(bytes(text))).toEqual(reply);
  });
});
