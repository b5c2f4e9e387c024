import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hash32, murmur3Bytes } from "../src/index.js";

/**
 * Known-answer tests pinning the key hash. If any of these change, every key in every cluster
 * moves: the change is a data migration, not a refactor.
 */

const bytes = (...xs: number[]) => new Uint8Array(xs);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("murmur3Bytes: published MurmurHash3_x86_32 vectors (SMHasher; as collected in Boost.Hash2's tests)", () => {
  it.each([
    [bytes(), 0, 0x00000000],
    [bytes(), 1, 0x514e28b7],
    [bytes(), 0xffffffff, 0x81f16f39],
    [bytes(0xff, 0xff, 0xff, 0xff), 0, 0x76293b50],
    [bytes(0x21, 0x43, 0x65, 0x87), 0, 0xf55b516b],
    [bytes(0x21, 0x43, 0x65, 0x87), 0x5082edee, 0x2362f9de],
    [bytes(0x21, 0x43, 0x65), 0, 0x7e4a8634],
    [bytes(0x21, 0x43), 0, 0xa0f7b07a],
    [bytes(0x21), 0, 0x72661cf4],
    [bytes(0, 0, 0, 0), 0, 0x2362f9de],
    [bytes(0, 0, 0), 0, 0x85f0b427],
    [bytes(0, 0), 0, 0x30f4c306],
    [bytes(0), 0, 0x514e28b7],
  ])("%o seed %i", (input, seed, expected) => {
    expect(murmur3Bytes(input, seed)).toBe(expected);
  });
});

describe("hash32: published string vectors", () => {
  it.each([
    ["", 0x9747b28c, 0xebb6c228],
    ["a", 0x9747b28c, 0x7fa09ea6],
    ["aa", 0x9747b28c, 0x5d211726],
    ["aaa", 0x9747b28c, 0x283e0130],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["ab", 0x9747b28c, 0x74875592],
    ["abc", 0x9747b28c, 0xc84a62dd],
    ["abcd", 0x9747b28c, 0xf0478627],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
    ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
    ["ππππππππ", 0x9747b28c, 0xd58063c1],
    ["", 0, 0x00000000],
    ["test", 0, 0xba6bd213],
    ["Hello, world!", 0, 0xc0363e43],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
  ])("%j seed %i", (input, seed, expected) => {
    expect(hash32(input, seed)).toBe(expected);
  });
});

describe("hash32: zkv keys (pinned; computed once after the vectors above passed)", () => {
  it.each([
    ["", 0x00000000],
    ["user:42:profile", 0xee8667fe],
    ["node-3", 0xbbc702e0],
    ["10.0.0.1:7420", 0x57757b50],
    ["6:node-1:11", 0xc96187ae],
    ["7:node-11:1", 0x4f4f7145],
    ["clé", 0xea0452c3],
    ["键:😀", 0x05043274],
  ])("%j", (key, expected) => {
    expect(hash32(key)).toBe(expected);
  });
});

describe("hash32: UTF-8 rules", () => {
  it("hashes non-BMP characters as their 4-byte UTF-8 form", () => {
    expect(hash32("😀")).toBe(murmur3Bytes(bytes(0xf0, 0x9f, 0x98, 0x80)));
  });

  it("hashes a lone surrogate as U+FFFD, like TextEncoder", () => {
    const replacement = murmur3Bytes(bytes(0xef, 0xbf, 0xbd));
    expect(hash32("\uD800")).toBe(replacement);
    expect(hash32("\uDC00")).toBe(replacement);
    expect(hash32("\uFFFD")).toBe(replacement);
    expect(hash32("ab\uD800cd")).toBe(hash32("ab\uFFFDcd"));
  });

  it("finds non-ASCII anywhere: in a block, in the tail, past the scratch buffer", () => {
    for (const key of ["abcé", "abcdé", "abcdefé", "éabcdefgh", `${"x".repeat(5000)}é`]) {
      expect(hash32(key)).toBe(murmur3Bytes(utf8(key)));
    }
  });

  it("equals MurmurHash3 of TextEncoder's bytes for any string, including lone surrogates", () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const strings = fc.oneof(
      fc.string({ unit: anyUnit, maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(strings, fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(hash32(s, seed)).toBe(murmur3Bytes(utf8(s), seed));
      }),
    );
  });

  it("returns an unsigned 32-bit integer", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const h = hash32(s);
        expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
      }),
    );
  });
});
