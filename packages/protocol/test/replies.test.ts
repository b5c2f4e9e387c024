import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCommonReply } from "../src/codec.js";
import {
  decodeReply,
  ErrorCode,
  encodeReply,
  type GetOneReply,
  isErrorReply,
  type Op,
  REPLY_SCHEMA_BY_OP,
  resolveLimits,
  toErrorReply,
  ZkvError,
} from "../src/index.js";
import { bytes, opAndReply } from "./helpers.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ZkvError);
    return (error as ZkvError).code;
  }
  return undefined;
}

describe("decodeReply", () => {
  it("round-trips every success reply, with and without the op", () => {
    fc.assert(
      fc.property(opAndReply, ([op, reply]) => {
        const frame = encodeReply(reply);
        expect(decodeReply(frame, op)).toEqual(reply);
        expect(decodeReply(frame)).toEqual(reply);
        expect(decodeReply([frame])).toEqual(reply);
      }),
    );
  });

  it("returns error replies for any op", () => {
    const frame = encodeReply(
      toErrorReply(new ZkvError(ErrorCode.TOO_LARGE, "big", { field: "value" }), "r1"),
    );
    const reply = decodeReply(frame, "PUT");
    expect(isErrorReply(reply)).toBe(true);
    expect(reply).toEqual({ error: { code: "TOO_LARGE", message: "big", field: "value" }, id: "r1" });
  });

  it("keeps DELETE and PING fields when the op is unknown", () => {
    expect(decodeReply(bytes('{"ok":true,"deleted":false}'))).toEqual({ ok: true, deleted: false });
    expect(decodeReply(bytes('{"ok":true,"node":"n"}'))).toEqual({ ok: true, node: "n" });
  });

  it("narrows the type from the op", () => {
    const reply = decodeReply(bytes('{"key":"k","value":"v","id":3}'), "GET_ONE");
    if (isErrorReply(reply)) throw new Error("unexpected error reply");
    const typed: GetOneReply = reply;
    expect(typed.value).toBe("v");
  });

  it.each([
    ["garbage bytes", Buffer.from([0xff]), ErrorCode.BAD_JSON],
    ["not JSON", bytes("nope"), ErrorCode.BAD_JSON],
    ["deep JSON", bytes("[".repeat(5000)), ErrorCode.BAD_JSON],
    ["an empty frame", Buffer.alloc(0), ErrorCode.BAD_FRAMES],
    ["an unknown shape", bytes('{"foo":1}'), ErrorCode.INVALID_REQUEST],
    ["an unknown error code", bytes('{"error":{"code":"NOPE","message":"m"}}'), ErrorCode.INVALID_REQUEST],
    ["a bad id", bytes('{"ok":true,"id":[1]}'), ErrorCode.INVALID_REQUEST],
    ["an empty cursor", bytes('{"collection":[],"cursor":""}'), ErrorCode.INVALID_REQUEST],
  ])("throws on %s", (_name, frame, code) => {
    expect(codeOf(() => decodeReply(frame))).toBe(code);
  });

  it("checks against the given op's shape", () => {
    expect(codeOf(() => decodeReply(bytes('{"ok":true}'), "GET_ONE"))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => decodeReply(bytes('{"ok":true}'), "DELETE"))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => decodeReply(bytes('{"collection":[{"key":1}]}'), "GET_ALL"))).toBe(
      ErrorCode.INVALID_REQUEST,
    );
  });

  it("applies the message limit", () => {
    const limits = resolveLimits({ maxKeyBytes: 4, maxValueBytes: 4, maxMessageBytes: 16 });
    const frame = bytes('{"key":"k","value":"vvvvvvvvvv"}');
    expect(codeOf(() => decodeReply(frame, "GET_ONE", limits))).toBe(ErrorCode.TOO_LARGE);
  });
});

describe("isCommonReply (validateReply's fast path)", () => {
  const field = fc.oneof(
    fc.boolean(),
    fc.string({ maxLength: 8 }),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.array(fc.anything(), { maxLength: 2 }),
    fc.constant(Number.MAX_SAFE_INTEGER + 2),
  );
  const replyLike = fc.record(
    {
      ok: fc.oneof(fc.constant(true), field),
      deleted: fc.oneof(fc.boolean(), field),
      key: fc.oneof(fc.string(), field),
      value: fc.oneof(fc.string(), field),
      version: fc.oneof(fc.nat(), field),
      results: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), field),
      done: fc.oneof(fc.nat(), field),
      values: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), field),
      rows: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), field),
      errors: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), field),
      error: fc.oneof(fc.record({ code: fc.constant("NOT_FOUND"), message: fc.string() }), field),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 70 }), field),
      extra: field,
    },
    { requiredKeys: [] },
  );
  it("takes only what the op's schema accepts, exactly as the schema returns it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("PUT", "GET_ONE", "DELETE", "BATCH") as fc.Arbitrary<Op>,
        fc.oneof({ arbitrary: replyLike, weight: 5 }, fc.anything()),
        (op, value) => {
          if (!isCommonReply(value, op)) return;
          const parsed = REPLY_SCHEMA_BY_OP[op].safeParse(value);
          expect(parsed.success).toBe(true);
          expect(value).toEqual(parsed.data);
        },
      ),
      { numRuns: 5000 },
    );
    expect(isCommonReply({ ok: true, id: 3 }, "PUT")).toBe(true);
    expect(isCommonReply({ key: "k", value: "v" }, "GET_ONE")).toBe(true);
    expect(isCommonReply({ done: 10, values: ["a", null] }, "BATCH")).toBe(true);
  });
});
