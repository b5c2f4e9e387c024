import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeReply,
  ErrorCode,
  encodeReply,
  type GetOneReply,
  isErrorReply,
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
