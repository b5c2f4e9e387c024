import { describe, expect, it } from "vitest";
import {
  decodeBatchOp,
  decodeReply,
  decodeRequest,
  ErrorCode,
  encodeReply,
  MAX_TTL_SECONDS,
} from "../src/index.js";
import { bytes, expectFailure } from "./helpers.js";

/** Decodes one JSON text as a request and returns it, failing the test when it is refused. */
function decoded(text: string) {
  const result = decodeRequest(bytes(text));
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  return result.request;
}

describe("PUT's data-feature fields (TTL, conditions, versions)", () => {
  it("keeps the seed's form exactly as it was", () => {
    expect(decoded('{"op":"PUT","key":"k","value":"v"}')).toStrictEqual({ op: "PUT", key: "k", value: "v" });
  });

  it("takes ttl, expiresAt, ifAbsent, ifVersion and withVersion", () => {
    expect(decoded('{"op":"PUT","key":"k","value":"v","ttl":1.5,"ifAbsent":true}')).toMatchObject({
      ttl: 1.5,
      ifAbsent: true,
    });
    expect(
      decoded(
        '{"op":"PUT","key":"k","value":"v","expiresAt":1700000000000,"ifVersion":42,"withVersion":true}',
      ),
    ).toMatchObject({ expiresAt: 1_700_000_000_000, ifVersion: 42, withVersion: true });
  });

  it.each([
    ['"ttl":0', "ttl"],
    ['"ttl":-1', "ttl"],
    [`"ttl":${MAX_TTL_SECONDS + 1}`, "ttl"],
    ['"ttl":"60"', "ttl"],
    ['"expiresAt":1.5', "expiresAt"],
    ['"expiresAt":0', "expiresAt"],
    ['"ttl":5,"expiresAt":1700000000000', "expiresAt"],
    ['"ifVersion":-1', "ifVersion"],
    ['"ifVersion":1.5', "ifVersion"],
    ['"ifAbsent":true,"ifVersion":3', "ifVersion"],
    ['"ifAbsent":"yes"', "ifAbsent"],
    ['"version":-1', "version"],
    ['"version":1.5', "version"],
    ['"version":7,"ttl":5', "version"],
    ['"version":7,"ifAbsent":true', "version"],
    ['"version":7,"ifVersion":6', "version"],
  ])("refuses %s with INVALID_REQUEST naming %s", (fields, field) => {
    const text = `{"op":"PUT","key":"k","value":"v",${fields}}`;
    expectFailure(decodeRequest(bytes(text)), ErrorCode.INVALID_REQUEST, field);
  });

  it("takes a restore: version with an absolute expiresAt; its reply says whether it was applied", () => {
    expect(decoded('{"op":"PUT","key":"k","value":"v","version":7,"expiresAt":1700000000000}')).toStrictEqual(
      {
        op: "PUT",
        key: "k",
        value: "v",
        version: 7,
        expiresAt: 1_700_000_000_000,
      },
    );
    expect(decodeReply(bytes('{"ok":true,"version":9,"applied":false}'), "PUT")).toStrictEqual({
      ok: true,
      version: 9,
      applied: false,
    });
  });

  it("ifAbsent:false with ifVersion is no conflict of conditions", () => {
    expect(decoded('{"op":"PUT","key":"k","value":"v","ifAbsent":false,"ifVersion":3}')).toMatchObject({
      ifVersion: 3,
    });
  });

  it("lets a BATCH element carry them too", () => {
    const result = decodeBatchOp({ op: "PUT", key: "k", value: "v", ttl: 10, ifVersion: 7 });
    expect(result.ok && result.request).toMatchObject({ ttl: 10, ifVersion: 7 });
    const bad = decodeBatchOp({ op: "PUT", key: "k", value: "v", ifAbsent: true, ifVersion: 7 });
    expectFailure(bad, ErrorCode.INVALID_REQUEST, "ifVersion");
  });

  it("GET_ONE takes withVersion; its reply may carry version and expiresAt", () => {
    expect(decoded('{"op":"GET_ONE","key":"k","withVersion":true}')).toStrictEqual({
      op: "GET_ONE",
      key: "k",
      withVersion: true,
    });
    const reply = { key: "k", value: "v", version: 9, expiresAt: 1_700_000_000_000 };
    expect(decodeReply(encodeReply(reply), "GET_ONE")).toStrictEqual(reply);
    expect(decodeReply(encodeReply({ ok: true, version: 9 }), "PUT")).toStrictEqual({ ok: true, version: 9 });
  });

  it("CONFLICT and OUT_OF_MEMORY are wire error codes", () => {
    for (const code of [ErrorCode.CONFLICT, ErrorCode.OUT_OF_MEMORY]) {
      const reply = decodeReply(encodeReply({ error: { code, message: "m" } }), "PUT");
      expect(reply).toStrictEqual({ error: { code, message: "m" } });
    }
  });

  it("STATS may report a memory budget", () => {
    const stats = {
      node: "n",
      keys: 1,
      bytes: 2,
      opsServed: 3,
      uptimeSeconds: 1,
      heapUsedBytes: 1,
      rssBytes: 1,
      maxBytes: 1024,
    };
    expect(decodeReply(encodeReply(stats), "STATS")).toStrictEqual(stats);
  });
});
