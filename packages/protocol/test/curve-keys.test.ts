import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import {
  CurveKeyError,
  curveKeyToZ85,
  loadAllowListFile,
  loadCurveIdentity,
  loadCurveKey,
  parseAllowList,
  parseCurveKey,
  publicKeyOf,
  z85Decode,
  z85Encode,
} from "../src/index.js";

describe("Z85", () => {
  it("matches the RFC 32 test vector", () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect(z85Decode("HelloWorld")).toEqual(bytes);
  });

  it("round-trips any multiple of 4 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = raw.subarray(0, raw.length - (raw.length % 4));
        expect(z85Decode(z85Encode(bytes))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("refuses bad lengths, characters outside the alphabet and groups past 32 bits", () => {
    expect(z85Decode("Hell")).toBeUndefined();
    expect(z85Decode("Hell~")).toBeUndefined();
    expect(z85Decode("Hellé")).toBeUndefined();
    expect(z85Decode("#####")).toBeUndefined(); // 85^5 - 1 > 2^32 - 1
    expect(z85Decode("%nSc0")).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  });
});

describe("CURVE keys", () => {
  it("accepts what zeromq generates and derives the same public key from the secret one", () => {
    for (let i = 0; i < 20; i++) {
      const pair = curveKeyPair();
      expect(parseCurveKey(`${pair.secretKey}\n`, "f")).toBe(pair.secretKey);
      expect(publicKeyOf(pair.secretKey)).toBe(pair.publicKey);
    }
  });

  it("refuses keys of the wrong length or alphabet with the source named", () => {
    expect(() => parseCurveKey("abc", "keys/node.key")).toThrow(/keys\/node.key: expected a 40-character/);
    expect(() => parseCurveKey("~".repeat(40), "X")).toThrow(CurveKeyError);
    expect(() => parseCurveKey("a".repeat(64), "X")).toThrow(/got 64 characters/);
  });

  it("converts a ZAP request's 32 raw bytes to Z85, and nothing else", () => {
    const pair = curveKeyPair();
    expect(curveKeyToZ85(z85Decode(pair.publicKey)!)).toBe(pair.publicKey);
    expect(curveKeyToZ85(Buffer.alloc(31))).toBeUndefined();
  });
});

describe("allow-list", () => {
  const a = curveKeyPair().publicKey;
  const b = curveKeyPair().publicKey;

  it("reads one key a line; blank lines and comments are ignored", () => {
    const text = `# zkv clients\n\n${a}   # the CLI\n  ${b}\r\n# ${a.slice(0, 10)}\n`;
    expect(parseAllowList(text, "f")).toEqual(new Set([a, b]));
  });

  it("keeps a key that contains or ends with '#', a Z85 digit", () => {
    const key = `${"0".repeat(38)}a#`;
    expect(parseAllowList(`${key}\n`, "f")).toEqual(new Set([key]));
  });

  it("fails the whole list on a malformed line, naming the line", () => {
    expect(() => parseAllowList(`${a}\nnot-a-key\n`, "allowed.txt")).toThrow(/allowed.txt line 2: expected/);
  });
});

describe("key files", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pair = curveKeyPair();
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o600);
    return path;
  };

  it("loads an identity from the secret key alone, or checks a matching public key file", () => {
    const secret = file("a.key", `${pair.secretKey}\n`);
    expect(loadCurveIdentity({ file: secret, label: "--x" })).toEqual(pair);
    expect(loadCurveIdentity({ file: secret, label: "--x" }, file("a.pub", pair.publicKey))).toEqual(pair);
    expect(loadCurveIdentity({ inline: pair.secretKey, label: "ENV" })).toEqual(pair);
    expect(loadCurveIdentity({ label: "none" })).toBeUndefined();
  });

  it("refuses a public key file of another pair, a missing file, and a public key without a secret", () => {
    const secret = file("b.key", pair.secretKey);
    const other = file("other.pub", curveKeyPair().publicKey);
    expect(() => loadCurveIdentity({ file: secret, label: "x" }, other)).toThrow(/does not belong/);
    expect(() => loadCurveKey({ file: join(dir, "missing"), label: "x" })).toThrow(/cannot read: ENOENT/);
    expect(() => loadCurveIdentity({ label: "x" }, other)).toThrow(/needs its secret key/);
  });

  it("loads an allow-list file", () => {
    expect(loadAllowListFile(file("allowed", `${pair.publicKey}\n`))).toEqual(new Set([pair.publicKey]));
  });
});
