import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, parseJsonSafe } from "../src/index.js";
import { decodeUtf8 } from "../src/json.js";

/** Reference depth of a parsed JSON value: every array or object adds one level. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null)
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** Strings full of the characters a naive depth scanner gets wrong. */
const trickyString = fc.string({ unit: fc.constantFrom('"', "\\", "[", "]", "{", "}", "a", "\n", "é") });

const trickyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    trickyString,
    fc.integer(),
    fc.array(tie("value")),
    fc.dictionary(trickyString, tie("value")),
  ),
})).value;

describe("parseJsonSafe", () => {
  it("accepts exactly the texts whose nesting is within maxDepth", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), trickyJson), fc.integer({ min: 0, max: 6 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        const result = parseJsonSafe(text, maxDepth);
        expect(result.ok).toBe(depthOf(value) <= maxDepth);
        if (result.ok) expect(result.value).toEqual(JSON.parse(text));
        else expect(result.error.code).toBe(ErrorCode.BAD_JSON);
      }),
    );
  });

  it("ignores brackets inside strings, including after escaped quotes and backslashes", () => {
    expect(parseJsonSafe('["[[[[\\"[[[["]', 1).ok).toBe(true);
    expect(parseJsonSafe('["\\\\",[1]]', 1).ok).toBe(false);
    expect(parseJsonSafe('["\\\\\\"]]]"]', 1).ok).toBe(true);
  });

  it("words a refusal by its cause, with few brackets as with many", () => {
    const message = (text: string, maxDepth = 32) => {
      const result = parseJsonSafe(text, maxDepth);
      return result.ok ? "ok" : result.error.message;
    };
    for (const text of ["]", '{"a":1}}', "[1]]", '["x"]]["y"]', `{"a":[${"1,".repeat(2000)}1]]]`]) {
      expect(message(text)).toBe("JSON has unbalanced brackets");
    }
    expect(message("[[[1]]]", 2)).toBe("JSON nested deeper than 2");
    expect(message('{"a":[1,}')).toBe("message is not valid JSON");
    expect(message(`{"ops":"PP","keys":["[[[[","{{{{"],"values":["]]]]","}}"]}`, 3)).toBe("ok");
  });

  it("turns syntax errors into BAD_JSON values without throwing", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseJsonSafe(text, 32);
        if (!result.ok) expect(result.error.code).toBe(ErrorCode.BAD_JSON);
      }),
    );
  });

  it("rejects hostile nesting and escape runs without recursing or throwing", () => {
    const huge = "[".repeat(1_000_000);
    expect(parseJsonSafe(huge, 32).ok).toBe(false);
    expect(parseJsonSafe(`"${"\\\\".repeat(500_000)}"${"]".repeat(10)}`, 32).ok).toBe(false);
    expect(parseJsonSafe(`${'"\\"'.repeat(300_000)}"`, 32).ok).toBe(false);
  });
});

describe("decodeUtf8", () => {
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reference = (bytes: Uint8Array): string | undefined => {
    try {
      return strict.decode(bytes);
    } catch {
      return undefined;
    }
  };
  // Mostly ASCII (the fast path), with some bytes past 0x7f: valid UTF-8 or not.
  const bytes = fc.oneof(
    fc.uint8Array({ max: 0x7f, maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ unit: "binary", maxLength: 100 }).map((s) => new TextEncoder().encode(s)),
  );

  it("reads Buffers and plain byte arrays exactly as the strict decoder does", () => {
    fc.assert(
      fc.property(bytes, (raw) => {
        expect(decodeUtf8(Buffer.from(raw))).toBe(reference(raw));
        expect(decodeUtf8(raw)).toBe(reference(raw));
      }),
    );
  });

  it("refuses invalid UTF-8 however much ASCII is around it", () => {
    const bad = Buffer.concat([Buffer.from('{"key":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expect(decodeUtf8(bad)).toBeUndefined();
    expect(decodeUtf8(Buffer.from('{"key":"k"}'))).toBe('{"key":"k"}');
  });
});
