import { describe, expect, it } from "vitest";
import { decodeRequest, ErrorCode, resolveLimits, toErrorReply } from "../src/index.js";
import { bytes, expectFailure } from "./helpers.js";

const small = resolveLimits({ maxKeyBytes: 8, maxValueBytes: 16, maxMessageBytes: 128 });

describe("framing", () => {
  it.each([
    ["no frames", []],
    ["two frames", [bytes('{"op":"PING"}'), bytes('{"op":"PING"}')]],
    ["a REQ envelope left in place", [Buffer.alloc(0), bytes('{"op":"PING"}')]],
    ["one empty frame", [Buffer.alloc(0)]],
  ])("refuses %s with BAD_FRAMES", (_name, frames) => {
    expectFailure(decodeRequest(frames), ErrorCode.BAD_FRAMES);
  });

  it("refuses an empty single buffer with BAD_FRAMES", () => {
    expectFailure(decodeRequest(Buffer.alloc(0)), ErrorCode.BAD_FRAMES);
  });

  it("refuses an oversized frame with TOO_LARGE before parsing it", () => {
    const junk = Buffer.alloc(small.maxMessageBytes + 1, 0xff);
    const result = expectFailure(decodeRequest(junk, small), ErrorCode.TOO_LARGE);
    expect(result.error.field).toBeUndefined();
    expect(result.id).toBeUndefined();
  });

  it("accepts a frame of exactly maxMessageBytes", () => {
    const text = `{"op":"PING","pad":"${"x".repeat(small.maxMessageBytes - 22)}"}`;
    expect(Buffer.byteLength(text)).toBe(small.maxMessageBytes);
    expect(decodeRequest(bytes(text), small).ok).toBe(true);
  });
});

describe("encoding and JSON", () => {
  it.each([
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d])],
    ["an overlong encoding", Buffer.from([0x22, 0xc0, 0xaf, 0x22])],
    ["an encoded surrogate", Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ["a byte-order mark", Buffer.from(`\uFEFF{"op":"PING"}`, "utf8")],
    ["truncated JSON", bytes('{"op":"PING"')],
    ["trailing garbage", bytes('{"op":"PING"} x')],
    ["a stray closer", bytes(']{"op":"PING"}')],
  ])("refuses %s with BAD_JSON", (_name, frame) => {
    expectFailure(decodeRequest(frame), ErrorCode.BAD_JSON);
  });

  it("refuses 10,000 nested arrays with BAD_JSON", () => {
    expectFailure(decodeRequest(bytes("[".repeat(10_000) + "]".repeat(10_000))), ErrorCode.BAD_JSON);
    expectFailure(decodeRequest(bytes(`{"op":"PING","x":${'{"a":'.repeat(10_000)}`)), ErrorCode.BAD_JSON);
  });

  it("accepts nesting up to maxJsonDepth in ignored fields and refuses one more", () => {
    const nested = (depth: number) => `{"op":"PING","x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
    expect(decodeRequest(bytes(nested(32))).ok).toBe(true);
    expectFailure(decodeRequest(bytes(nested(33))), ErrorCode.BAD_JSON);
  });

  it.each(["null", "42", '"PING"', "[]", '[{"op":"PING"}]', "true"])(
    "refuses the non-object %s with INVALID_REQUEST",
    (text) => {
      expectFailure(decodeRequest(bytes(text)), ErrorCode.INVALID_REQUEST);
    },
  );
});

describe("validation", () => {
  it.each([
    ['{"key":"k"}', "op"],
    ['{"op":7}', "op"],
    ['{"op":null}', "op"],
    ['{"op":"PUT","value":"v"}', "key"],
    ['{"op":"PUT","key":"k"}', "value"],
    ['{"op":"PUT","key":1,"value":"v"}', "key"],
    ['{"op":"PUT","key":"k","value":{"a":1}}', "value"],
    ['{"op":"GET_ONE","key":null}', "key"],
    ['{"op":"GET_ALL","limit":0}', "limit"],
    ['{"op":"GET_ALL","limit":-3}', "limit"],
    ['{"op":"GET_ALL","limit":1.5}', "limit"],
    ['{"op":"GET_ALL","limit":"10"}', "limit"],
    ['{"op":"GET_ALL","limit":9007199254740993}', "limit"],
    ['{"op":"GET_ALL","cursor":"not a cursor"}', "cursor"],
    ['{"op":"GET_ALL","cursor":5}', "cursor"],
    ['{"op":"PING","id":1.5}', "id"],
    ['{"op":"PING","id":null}', "id"],
    [`{"op":"PING","id":"${"x".repeat(65)}"}`, "id"],
  ])("refuses %s with INVALID_REQUEST on field %s", (text, field) => {
    expectFailure(decodeRequest(bytes(text)), ErrorCode.INVALID_REQUEST, field);
  });

  it.each(["put", "GET", "", "__proto__", "constructor", "toString", "hasOwnProperty"])(
    "refuses op %j with UNKNOWN_OP",
    (op) => {
      expectFailure(decodeRequest(bytes(JSON.stringify({ op }))), ErrorCode.UNKNOWN_OP, "op");
    },
  );

  it("reports the first bad field in the documented order", () => {
    const put = '{"id":1.5,"value":2,"key":1,"op":"PUT"}';
    expectFailure(decodeRequest(bytes(put)), ErrorCode.INVALID_REQUEST, "key");
    const getAll = '{"id":null,"cursor":"x","limit":0,"op":"GET_ALL"}';
    expectFailure(decodeRequest(bytes(getAll)), ErrorCode.INVALID_REQUEST, "limit");
    const sizes = `{"op":"PUT","key":"${"k".repeat(9)}","value":"${"v".repeat(17)}"}`;
    expectFailure(decodeRequest(bytes(sizes), small), ErrorCode.TOO_LARGE, "key");
  });

  it("accepts string ids of exactly 64 characters and safe integer ids", () => {
    expect(decodeRequest(bytes(`{"op":"PING","id":"${"x".repeat(64)}"}`)).ok).toBe(true);
    expect(decodeRequest(bytes('{"op":"PING","id":-9007199254740991}')).ok).toBe(true);
  });
});

describe("byte limits", () => {
  it("refuses a key over maxKeyBytes with TOO_LARGE on field key", () => {
    expectFailure(
      decodeRequest(bytes('{"op":"GET_ONE","key":"123456789"}'), small),
      ErrorCode.TOO_LARGE,
      "key",
    );
    expect(decodeRequest(bytes('{"op":"GET_ONE","key":"12345678"}'), small).ok).toBe(true);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const result = decodeRequest(bytes('{"op":"DELETE","key":"ééééé"}'), small);
    expectFailure(result, ErrorCode.TOO_LARGE, "key");
    expect(decodeRequest(bytes('{"op":"DELETE","key":"éééé"}'), small).ok).toBe(true);
    expectFailure(
      decodeRequest(bytes('{"op":"DELETE","key":"\\ud800\\ud800\\ud800"}'), small),
      ErrorCode.TOO_LARGE,
    );
  });

  it("refuses a value over maxValueBytes with TOO_LARGE on field value", () => {
    const text = `{"op":"PUT","key":"k","value":"${"€".repeat(6)}"}`;
    expectFailure(decodeRequest(bytes(text), small), ErrorCode.TOO_LARGE, "value");
  });
});

describe("id recovery on errors", () => {
  it.each([
    ['{"op":"NOPE","id":7}', ErrorCode.UNKNOWN_OP, 7],
    ['{"op":"PUT","key":1,"id":"abc"}', ErrorCode.INVALID_REQUEST, "abc"],
    ['{"id":"x"}', ErrorCode.INVALID_REQUEST, "x"],
    ['{"op":"GET_ONE","key":"123456789","id":0}', ErrorCode.TOO_LARGE, 0],
  ])("%s fails with %s and keeps id %j", (text, code, id) => {
    const result = expectFailure(decodeRequest(bytes(text), small), code);
    expect(result.id).toBe(id);
    expect(toErrorReply(result.error, result.id).id).toBe(id);
  });

  it("drops an invalid id instead of echoing it", () => {
    const result = expectFailure(decodeRequest(bytes('{"op":"NOPE","id":{"a":1}}')), ErrorCode.UNKNOWN_OP);
    expect(result).not.toHaveProperty("id");
  });

  it("cannot recover an id from unparsable JSON", () => {
    expect(expectFailure(decodeRequest(bytes('{"id":7,')), ErrorCode.BAD_JSON)).not.toHaveProperty("id");
  });
});
