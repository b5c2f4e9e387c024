import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  ErrorCode,
  ErrorReplySchema,
  errorFromReply,
  isErrorReply,
  isZkvError,
  toErrorReply,
  ZkvError,
} from "../src/index.js";

describe("ErrorCode", () => {
  it("maps every name to itself on the wire", () => {
    for (const [name, code] of Object.entries(ErrorCode)) expect(code).toBe(name);
    expect(ERROR_CODES).toEqual(Object.values(ErrorCode));
    expect(ERROR_CODES).toHaveLength(18);
  });
});

describe("ZkvError", () => {
  it("carries code, field and cause", () => {
    const cause = new Error("inner");
    const error = new ZkvError(ErrorCode.INVALID_REQUEST, "bad key", { field: "key", cause });
    expect(error).toBeInstanceOf(Error);
    expect(isZkvError(error)).toBe(true);
    expect(error.name).toBe("ZkvError");
    expect([error.code, error.field, error.cause]).toEqual([ErrorCode.INVALID_REQUEST, "key", cause]);
    expect(new ZkvError(ErrorCode.INTERNAL, "x")).not.toHaveProperty("field");
  });
});

describe("toErrorReply / errorFromReply", () => {
  it.each(ERROR_CODES)("round-trips %s with field and id", (code) => {
    const reply = toErrorReply(new ZkvError(code, "message", { field: "key" }), "req-1");
    expect(reply).toEqual({ error: { code, message: "message", field: "key" }, id: "req-1" });
    expect(ErrorReplySchema.parse(reply)).toEqual(reply);
    const back = errorFromReply(reply);
    expect([back.code, back.field, back.message]).toEqual([code, "key", "message"]);
  });

  it("omits field and id when there are none", () => {
    const reply = toErrorReply(new ZkvError(ErrorCode.NOT_FOUND, "missing"));
    expect(reply).toEqual({ error: { code: "NOT_FOUND", message: "missing" } });
    expect(Object.keys(reply)).toEqual(["error"]);
    expect(errorFromReply(reply)).not.toHaveProperty("field");
  });

  it("hides anything that is not a ZkvError behind INTERNAL", () => {
    for (const thrown of [new Error("secret path /etc"), "oops", undefined, { code: "NOT_FOUND" }]) {
      const reply = toErrorReply(thrown, 5);
      expect(reply.error.code).toBe(ErrorCode.INTERNAL);
      expect(reply.error.message).not.toContain("secret");
      expect(reply.id).toBe(5);
    }
  });

  it("keeps id 0", () => {
    expect(toErrorReply(new ZkvError(ErrorCode.TIMEOUT, "t"), 0).id).toBe(0);
  });
});

describe("isErrorReply", () => {
  it("tells error replies from success replies", () => {
    expect(isErrorReply(toErrorReply(new Error("x")))).toBe(true);
    expect(isErrorReply({ ok: true })).toBe(false);
    expect(isErrorReply({ collection: [] })).toBe(false);
  });
});
