import { afterEach, describe, expect, it } from "vitest";
import { decodeReply, decodeRequest, ErrorCode } from "../src/index.js";
import { bytes, expectFailure } from "./helpers.js";

/** Any pollution would surface here as an inherited property of a fresh object. */
function pollutedProbe(): unknown {
  return ({} as Record<string, unknown>).polluted;
}

describe("prototype pollution", () => {
  afterEach(() => {
    expect(pollutedProbe()).toBeUndefined();
  });

  it("ignores a __proto__ member and returns only known fields", () => {
    const result = decodeRequest(bytes('{"op":"PUT","key":"k","value":"v","__proto__":{"polluted":1}}'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.keys(result.request)).toEqual(["op", "key", "value"]);
    expect(Object.getPrototypeOf(result.request)).toBe(Object.prototype);
    expect(Object.hasOwn(result.request, "__proto__")).toBe(false);
    expect((result.request as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("ignores constructor.prototype members", () => {
    const text = '{"op":"PING","constructor":{"prototype":{"polluted":1}},"prototype":{"polluted":1}}';
    const result = decodeRequest(bytes(text));
    expect(result).toEqual({ ok: true, request: { op: "PING" } });
  });

  it("never reads op or id through a __proto__ member", () => {
    const result = expectFailure(
      decodeRequest(bytes('{"__proto__":{"op":"PING","id":"x"}}')),
      ErrorCode.INVALID_REQUEST,
      "op",
    );
    expect(result).not.toHaveProperty("id");
    expect(decodeRequest(bytes('{"op":"PING","__proto__":{"id":"x"}}'))).toEqual({
      ok: true,
      request: { op: "PING" },
    });
  });

  it("returns a fresh object, not the parsed one", () => {
    const frame = bytes('{"op":"GET_ONE","key":"k","toString":1}');
    const first = decodeRequest(frame);
    const second = decodeRequest(frame);
    expect(first.ok && second.ok && first.request !== second.request).toBe(true);
    if (first.ok) expect(String(first.request)).toBe("[object Object]");
  });

  it("keeps replies clean as well", () => {
    const reply = decodeReply(bytes('{"ok":true,"__proto__":{"polluted":1},"node":"n"}'), "PING");
    expect(Object.keys(reply)).toEqual(["ok", "node"]);
    expect(Object.getPrototypeOf(reply)).toBe(Object.prototype);
  });
});
