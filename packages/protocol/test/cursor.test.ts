import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, decodeRequest, ErrorCode, encodeCursor, ZkvError } from "../src/index.js";
import { anyString, bytes, expectFailure, utf16String } from "./helpers.js";

function expectBadCursor(cursor: string): void {
  try {
    decodeCursor(cursor);
  } catch (error) {
    expect(error).toBeInstanceOf(ZkvError);
    expect((error as ZkvError).code).toBe(ErrorCode.INVALID_REQUEST);
    expect((error as ZkvError).field).toBe("cursor");
    return;
  }
  throw new Error(`cursor ${JSON.stringify(cursor)} was accepted`);
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("cursors", () => {
  it("round-trip every key and stay URL-safe", () => {
    fc.assert(
      fc.property(fc.oneof(anyString, utf16String(200)), (key) => {
        const cursor = encodeCursor(key);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toBe(key);
      }),
    );
  });

  it.each([
    ["empty", ""],
    ["not base64url", "!!!"],
    ["padded", `${encodeCursor("k")}=`],
    ["not JSON", b64("hello")],
    ["JSON of the wrong shape", b64("[1]")],
    ["a future version", b64('{"v":2,"after":"k"}')],
    ["a missing key", b64('{"v":1}')],
    ["a non-string key", b64('{"v":1,"after":3}')],
    ["reordered fields", b64('{"after":"k","v":1}')],
    ["extra fields", b64('{"v":1,"after":"k","x":1}')],
    ["deep JSON", b64(`${"[".repeat(100)}`)],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff]).toString("base64url")],
  ])("refuses %s with INVALID_REQUEST on field cursor", (_name, cursor) => {
    expectBadCursor(cursor);
  });

  it("accept only strings that encodeCursor produced", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          anyString.map(encodeCursor).map((c) => c.slice(1)),
        ),
        (s) => {
          let after: string | undefined;
          try {
            after = decodeCursor(s);
          } catch {
            expectBadCursor(s);
            return;
          }
          expect(encodeCursor(after)).toBe(s);
        },
      ),
    );
  });

  it("are validated by decodeRequest", () => {
    const good = encodeCursor("k");
    expect(decodeRequest(bytes(`{"op":"GET_ALL","cursor":"${good}"}`)).ok).toBe(true);
    expectFailure(
      decodeRequest(bytes(`{"op":"GET_ALL","cursor":"${good}x"}`)),
      ErrorCode.INVALID_REQUEST,
      "cursor",
    );
  });
});
