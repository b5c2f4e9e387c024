import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DecodeRequestResult, decodeBatchOp, decodeRequest, ErrorCode } from "../src/index.js";
import { bytes } from "./helpers.js";

/**
 * Keys and values a node stores must be well-formed UTF-16: a lone surrogate survives JSON.parse
 * but not UTF-8 on disk (it comes back as U+FFFD), nor many other languages' JSON libraries. Every
 * request that stores one is decoded here from its wire bytes, as a node receives it.
 */

/** Well-formed strings: ASCII, and any code points (astral ones as surrogate pairs). */
const wellFormed = fc.oneof(fc.string(), fc.string({ unit: "binary" }));

/**
 * A string with at least one lone surrogate: a well-formed string cannot end in a high surrogate
 * nor start with a low one, so the one in the middle always stays unpaired.
 */
const withLoneSurrogate = fc
  .tuple(wellFormed, fc.integer({ min: 0xd800, max: 0xdfff }), wellFormed)
  .map(([before, unit, after]) => `${before}${String.fromCharCode(unit)}${after}`);

/** Decodes `request` from the bytes a client would send (JSON escapes a lone surrogate as \ud800). */
function decode(request: object): DecodeRequestResult {
  return decodeRequest(bytes(JSON.stringify(request)));
}

function expectRefused(result: DecodeRequestResult, field: string): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(ErrorCode.INVALID_REQUEST);
  expect(result.error.field).toBe(field);
  expect(result.error.message).toMatch(/lone surrogate/);
}

/** Every way a key and value reach a node's store, with the field an error names. */
const writes: ReadonlyArray<[string, (key: string, value: string) => DecodeRequestResult, string, string]> = [
  ["PUT", (key, value) => decode({ op: "PUT", key, value }), "key", "value"],
  ["PUT with an id", (key, value) => decode({ op: "PUT", key, value, id: 7 }), "key", "value"],
  ["PUT ifAbsent", (key, value) => decode({ op: "PUT", key, value, ifAbsent: true }), "key", "value"],
  ["PUT ifVersion", (key, value) => decode({ op: "PUT", key, value, ifVersion: 3 }), "key", "value"],
  ["PUT with a ttl", (key, value) => decode({ op: "PUT", key, value, ttl: 60 }), "key", "value"],
  ["a BATCH's PUT", (key, value) => decodeBatchOp({ op: "PUT", key, value }), "key", "value"],
  [
    "IMPORT",
    (key, value) =>
      decode({
        op: "IMPORT",
        run: "r",
        entries: [
          { key: "ok", value: "ok" },
          { key, value },
        ],
      }),
    "entries",
    "entries",
  ],
  [
    "REPLICATE",
    (key, value) => decode({ op: "REPLICATE", entries: [{ key, value, version: 1 }] }),
    "entries",
    "entries",
  ],
];

describe.each(writes)("%s", (_name, write, keyField, valueField) => {
  it("accepts well-formed keys and values, as sent", () => {
    fc.assert(
      fc.property(wellFormed, wellFormed, (key, value) => {
        expect(write(key, value).ok).toBe(true);
      }),
    );
  });

  it("refuses a key or a value with a lone surrogate, naming the field", () => {
    fc.assert(
      fc.property(withLoneSurrogate, wellFormed, (bad, good) => {
        expectRefused(write(bad, good), keyField);
        expectRefused(write(good, bad), valueField);
      }),
    );
  });
});

describe("reads and deletes", () => {
  it("still take any key, so one stored before this check can be read and removed", () => {
    fc.assert(
      fc.property(withLoneSurrogate, (key) => {
        for (const op of ["GET_ONE", "DELETE"]) expect(decode({ op, key }).ok).toBe(true);
        expect(decodeBatchOp({ op: "DELETE", key }).ok).toBe(true);
        expect(decode({ op: "REPLICATE", entries: [{ key, version: 2 }] }).ok).toBe(true);
        expect(decode({ op: "IMPORT", run: "r", entries: [{ key, deleted: true }] }).ok).toBe(true);
      }),
    );
  });
});
