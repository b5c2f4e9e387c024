import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DecodeRequestResult,
  decodeRequest,
  ErrorCode,
  encodeRequest,
  OPS,
  RequestIdSchema,
  RequestSchema,
} from "../src/index.js";
import { isRequestId } from "../src/schemas/common.js";
import { anyString, bytes, opString, validRequest } from "./helpers.js";

/** Codes decodeRequest may legitimately return; INTERNAL would mean a bug. */
const DECODE_CODES = new Set<string>([
  ErrorCode.BAD_FRAMES,
  ErrorCode.BAD_JSON,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.UNKNOWN_OP,
  ErrorCode.TOO_LARGE,
]);

function decodeWithoutThrowing(frames: Buffer | Buffer[]): DecodeRequestResult {
  let result: DecodeRequestResult | undefined;
  expect(() => {
    result = decodeRequest(frames);
  }).not.toThrow();
  if (result === undefined) throw new Error("unreachable");
  if (!result.ok) expect(DECODE_CODES.has(result.error.code)).toBe(true);
  return result;
}

describe("round trips", () => {
  it("decodeRequest(encodeRequest(r)) returns r for every valid request", () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        expect(decodeRequest(encodeRequest(request))).toEqual({ ok: true, request });
      }),
    );
  });
});

describe("decodeRequest never throws", () => {
  it("on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (raw) => {
        decodeWithoutThrowing(Buffer.from(raw));
      }),
    );
  });

  it("on arbitrary frame lists, refusing any count other than one with BAD_FRAMES", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }), (frames) => {
        const result = decodeWithoutThrowing(frames.map((f) => Buffer.from(f)));
        if (frames.length !== 1 || frames[0]?.length === 0) {
          expect(!result.ok && result.error.code).toBe(ErrorCode.BAD_FRAMES);
        }
      }),
    );
  });

  it("on arbitrary JSON texts, refusing non-objects with INVALID_REQUEST", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const result = decodeWithoutThrowing(bytes(text));
        const value: unknown = JSON.parse(text);
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          expect(!result.ok && result.error.code).toBe(ErrorCode.INVALID_REQUEST);
        }
      }),
    );
  });

  it("on arbitrary values serialised as JSON", () => {
    const texts = fc
      .anything()
      .map((v) => JSON.stringify(v) as string | undefined)
      .filter((t): t is string => t !== undefined && t.length > 0);
    fc.assert(fc.property(texts, (text) => void decodeWithoutThrowing(bytes(text))));
  });
});

/** Objects whose fields are usually right and often wrong-typed, missing or unknown. */
const fieldValue = fc.oneof(
  anyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.anything(),
);
const messyObject = fc.record(
  {
    op: opString,
    key: fc.oneof(anyString, fieldValue),
    value: fc.oneof(anyString, fieldValue),
    limit: fc.oneof(fc.integer({ min: -2, max: 100 }), fieldValue),
    cursor: fieldValue,
    id: fc.oneof(fc.string({ maxLength: 70 }), fc.integer(), fieldValue),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

describe("decodeRequest classifies malformed objects", () => {
  it("agrees with RequestSchema and picks the right code class", () => {
    fc.assert(
      fc.property(messyObject, (object) => {
        const text = JSON.stringify(object);
        const value = JSON.parse(text) as Record<string, unknown>;
        const result = decodeWithoutThrowing(bytes(text));
        const expected = RequestSchema.safeParse(value);
        expect(result.ok).toBe(expected.success);
        if (result.ok) {
          expect(result.request).toEqual(expected.data);
          return;
        }
        const op = value.op;
        if (typeof op !== "string") {
          expect([result.error.code, result.error.field]).toEqual([ErrorCode.INVALID_REQUEST, "op"]);
        } else if (!(OPS as readonly string[]).includes(op)) {
          expect([result.error.code, result.error.field]).toEqual([ErrorCode.UNKNOWN_OP, "op"]);
        } else {
          expect(result.error.code).toBe(ErrorCode.INVALID_REQUEST);
          expect([
            "key",
            "value",
            "limit",
            "cursor",
            "id",
            "asking",
            "run",
            "phase",
            "placement",
            "keys",
            "entries",
            "ops",
            "epoch",
            "peer",
            "ranges",
          ]).toContain(result.error.field);
        }
        if (isRequestId(value.id)) expect(result.id).toEqual(value.id);
        else expect(result).not.toHaveProperty("id");
      }),
    );
  });

  it("recovers ids exactly as RequestIdSchema defines them", () => {
    const candidates = fc.oneof(
      fc.anything(),
      fc.string({ minLength: 60, maxLength: 70 }),
      fc.double(),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -0, Number.NaN, Infinity),
    );
    fc.assert(
      fc.property(candidates, (candidate) => {
        expect(isRequestId(candidate)).toBe(RequestIdSchema.safeParse(candidate).success);
      }),
    );
  });
});
