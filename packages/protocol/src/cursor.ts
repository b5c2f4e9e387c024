import { ErrorCode, ZkvError } from "./errors.js";
import { decodeUtf8, parseJsonSafe } from "./json.js";

/** Version tag inside every cursor, so the format can change without misreading old cursors. */
const CURSOR_VERSION = 1;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Turns "the last key of this page" into the opaque `cursor` string of a
 * GET_ALL reply: base64url of `{"v":1,"after":key}`.
 *
 * Why opaque: clients must pass it back verbatim, which leaves the server
 * free to change what a cursor holds (the `v` tag makes that safe). Why the
 * last key rather than an offset: keys survive concurrent writes, offsets do not.
 */
export function encodeCursor(afterKey: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, after: afterKey }), "utf8").toString("base64url");
}

/**
 * The key a cursor resumes after, or undefined when the string is not a
 * cursor this version produced. Never throws.
 *
 * Why canonical re-encoding: only strings byte-identical to what
 * {@link encodeCursor} emits are accepted, so lenient base64 decoding, extra
 * fields or reordered JSON cannot smuggle in variants.
 */
export function tryDecodeCursor(cursor: string): string | undefined {
  if (!BASE64URL.test(cursor)) return undefined;
  const text = decodeUtf8(Buffer.from(cursor, "base64url"));
  if (text === undefined) return undefined;
  const parsed = parseJsonSafe(text, 1);
  if (!parsed.ok) return undefined;
  const value = parsed.value;
  if (typeof value !== "object" || value === null) return undefined;
  const after: unknown = (value as { after?: unknown }).after;
  if (typeof after !== "string") return undefined;
  return encodeCursor(after) === cursor ? after : undefined;
}

/**
 * The key a cursor resumes after; throws ZkvError INVALID_REQUEST with
 * `field: "cursor"` when the string is not a valid cursor.
 *
 * Why it throws: the server calls it inside request handling where a thrown
 * ZkvError maps straight to an error reply via `toErrorReply`. Requests that
 * came through `decodeRequest` already have a validated cursor.
 */
export function decodeCursor(cursor: string): string {
  const after = tryDecodeCursor(cursor);
  if (after === undefined) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, "cursor is not one this server issued", {
      field: "cursor",
    });
  }
  return after;
}
