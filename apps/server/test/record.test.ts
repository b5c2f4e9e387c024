import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeKey,
  decodeRecord,
  encodeKey,
  encodeTombstone,
  encodeValue,
  RecordFormatError,
  RecordKind,
} from "../src/store/index.js";
import {
  decodeLongEntry,
  encodeLongEntry,
  keyBytes,
  longKey,
  MAX_DIRECT_KEY_BYTES,
  maxValueBytes,
  writeKeyAt,
  writeValueAt,
} from "../src/store/record.js";

describe("record format", () => {
  it("lays a value out as [kind 0][float64 version BE][UTF-8 value]", () => {
    // 0x3ff0000000000000 is 1.0 as a big-endian float64.
    expect(encodeValue("hé", 1).toString("hex")).toBe("00" + "3ff0000000000000" + "68c3a9");
    expect(encodeValue("").toString("hex")).toBe("00" + "0000000000000000");
  });

  it("lays a tombstone out as [kind 1][version] with no value", () => {
    expect(encodeTombstone(2).toString("hex")).toBe("01" + "4000000000000000");
  });

  it("decodes what it encodes, versions included", () => {
    expect(decodeRecord(encodeValue("v", 1712345678.5))).toEqual({
      kind: RecordKind.VALUE,
      version: 1712345678.5,
      value: "v",
    });
    expect(decodeRecord(encodeTombstone(7))).toEqual({ kind: RecordKind.TOMBSTONE, version: 7 });
  });

  it("lays a value that expires out as [kind 2][version][float64 expiresAt BE][UTF-8 value]", () => {
    // 0x4000000000000000 is 2.0: version 1, expires at 2 ms.
    expect(encodeValue("a", 1, 2).toString("hex")).toBe(
      "02" + "3ff0000000000000" + "4000000000000000" + "61",
    );
    expect(decodeRecord(encodeValue("v", 9, 1_700_000_000_123))).toEqual({
      kind: RecordKind.VALUE,
      version: 9,
      value: "v",
      expiresAt: 1_700_000_000_123,
    });
    expect(() => decodeRecord(Buffer.from(`02${"00".repeat(12)}`, "hex"))).toThrow(RecordFormatError);
  });

  it("refuses unknown kinds and short records with a typed error", () => {
    expect(() => decodeRecord(Buffer.from("030000000000000000", "hex"))).toThrow(RecordFormatError);
    expect(() => decodeRecord(Buffer.from("00", "hex"))).toThrow(RecordFormatError);
    try {
      decodeRecord(Buffer.alloc(3));
    } catch (err) {
      expect((err as RecordFormatError).code).toBe("BAD_RECORD");
    }
  });
});

const units = fc
  .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 })
  .map((codes) => String.fromCharCode(...codes));

describe("key encoding", () => {
  it("is a 0 prefix byte and UTF-16 big-endian code units", () => {
    expect(encodeKey("").toString("hex")).toBe("00");
    expect(encodeKey("Ab").toString("hex")).toBe("00" + "0041" + "0062");
  });

  it("is the same for every key, short or long, as the UTF-16LE encoding byte-swapped", () => {
    fc.assert(
      // Any UTF-16 code units, lone surrogates included, across the short/long cut at 64.
      fc.property(units, (key) => {
        const reference = Buffer.concat([Buffer.from([0]), Buffer.from(key, "utf16le").swap16()]);
        expect(encodeKey(key).equals(reference)).toBe(true);
        expect(decodeKey(encodeKey(key))).toBe(key);
      }),
    );
  });

  it("round-trips lone surrogates and astral characters", () => {
    for (const key of ["\ud800", "a\udc00b", "\u{1f600}", "é", ""])
      expect(decodeKey(encodeKey(key))).toBe(key);
  });

  it("sorts bytewise exactly as the keys sort as strings (UTF-16 order)", () => {
    const keys = ["\uffff", "\u{1f600}", "é", "a", "", "ab", "\ud800"];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(encodeKey(a), encodeKey(b)));
    expect(byBytes).toEqual([...keys].sort());
  });
});

describe("records laid into a larger buffer (the write-ahead log's)", () => {
  const expiry = fc.option(fc.double({ min: 0, max: 1e15, noNaN: true }), { nil: undefined });
  it("are the bytes encodeKey and encodeValue make, whatever the text, and end where they say", () => {
    fc.assert(
      // Any UTF-16 code units, lone surrogates included (UTF-8 turns them into U+FFFD's 3 bytes).
      fc.property(
        units,
        units,
        fc.double({ noNaN: true }),
        expiry,
        fc.nat(64),
        (key, value, version, expiresAt, at) => {
          const out = Buffer.alloc(at + keyBytes(key) + maxValueBytes(value, expiresAt), 0xee);
          const keyEnd = writeKeyAt(key, out, at);
          expect(out.subarray(at, keyEnd).equals(encodeKey(key))).toBe(true);
          const end = writeValueAt(out, keyEnd, value, version, expiresAt);
          const header = Buffer.alloc(expiresAt === undefined ? 9 : 17);
          header[0] = expiresAt === undefined ? 0 : 2;
          header.writeDoubleBE(version, 1);
          if (expiresAt !== undefined) header.writeDoubleBE(expiresAt, 9);
          const reference = Buffer.concat([header, Buffer.from(value, "utf8")]);
          expect(out.subarray(keyEnd, end).equals(reference)).toBe(true);
          expect(encodeValue(value, version, expiresAt).equals(reference)).toBe(true);
        },
      ),
    );
  });
});

describe("long keys", () => {
  it("go under their SHA-256, the value holding [key length uint32 BE][key][record], and come back whole", () => {
    const key = "\u{1f600}".repeat(1000); // 4000 bytes of UTF-16: past the direct limit
    const encoded = encodeKey(key);
    expect(encoded.length).toBeGreaterThan(MAX_DIRECT_KEY_BYTES);
    expect(longKey(encoded).length).toBe(32);
    const record = encodeValue("v", 3);
    const value = encodeLongEntry(encoded, record);
    expect(value.readUInt32BE(0)).toBe(encoded.length);
    const back = decodeLongEntry(value);
    expect(back.key).toBe(key);
    expect(decodeRecord(back.record)).toEqual({ kind: RecordKind.VALUE, version: 3, value: "v" });
  });
});
