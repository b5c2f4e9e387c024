import fc from "fast-check";
import { expect } from "vitest";
import {
  type DecodeRequestResult,
  type ErrorCode,
  encodeCursor,
  OPS,
  type Reply,
  type Request,
  type RequestId,
} from "../src/index.js";

/** Bytes of a JSON text, as a client would send them. */
export function bytes(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** Asserts a failed decode with the given code (and field when given) and returns it narrowed. */
export function expectFailure(result: DecodeRequestResult, code: ErrorCode, field?: string) {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.error.code).toBe(code);
  if (field !== undefined) expect(result.error.field).toBe(field);
  return result;
}

/** Any UTF-16 string, lone surrogates included: the full space JSON strings can carry. */
export const utf16String = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

/** Strings from several alphabets: ASCII, full Unicode code points, raw UTF-16. */
export const anyString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), utf16String());

/** Strings a node stores (a PUT's key and value): well-formed UTF-16, no lone surrogate. */
export const storedString = fc.oneof(fc.string(), fc.string({ unit: "binary" }));

/** A valid request id: string of at most 64 characters or a safe integer. */
export const requestId: fc.Arbitrary<RequestId> = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }).map((n) => (n === 0 ? 0 : n)),
);

/** Drops undefined members, so generated objects look like decoded ones (absent, not undefined). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const optionalId = fc.option(requestId, { nil: undefined });

/** Any valid request, every op and optional field exercised. */
export const validRequest: fc.Arbitrary<Request> = fc.oneof(
  fc
    .record({ op: fc.constant("PUT" as const), key: storedString, value: storedString, id: optionalId })
    .map(compact),
  fc.record({ op: fc.constant("GET_ONE" as const), key: anyString, id: optionalId }).map(compact),
  fc.record({ op: fc.constant("DELETE" as const), key: anyString, id: optionalId }).map(compact),
  fc
    .record({
      op: fc.constant("GET_ALL" as const),
      limit: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
      cursor: fc.option(anyString.map(encodeCursor), { nil: undefined }),
      id: optionalId,
    })
    .map(compact),
  fc.record({ op: fc.constant("PING" as const), id: optionalId }).map(compact),
);

const keyValue = fc.record({ key: anyString, value: anyString });

/** Any valid success reply, paired with the op it answers. */
export const opAndReply: fc.Arbitrary<[Request["op"], Reply]> = fc.oneof(
  fc.record({ ok: fc.constant(true as const), id: optionalId }).map((r) => ["PUT", compact(r)] as const),
  keyValue.chain((kv) => optionalId.map((id) => ["GET_ONE", compact({ ...kv, id })] as const)),
  fc
    .record({ ok: fc.constant(true as const), deleted: fc.boolean(), id: optionalId })
    .map((r) => ["DELETE", compact(r)] as const),
  fc
    .record({
      collection: fc.array(keyValue, { maxLength: 5 }),
      cursor: fc.option(anyString.map(encodeCursor), { nil: undefined }),
      id: optionalId,
    })
    .map((r) => ["GET_ALL", compact(r)] as const),
  fc
    .record({ ok: fc.constant(true as const), node: anyString, id: optionalId })
    .map((r) => ["PING", compact(r)] as const),
) as fc.Arbitrary<[Request["op"], Reply]>;

/** An op string that is usually known, sometimes a near miss, sometimes anything. */
export const opString = fc.oneof(
  fc.constantFrom(...OPS),
  fc.constantFrom("put", "GET", "GETALL", "__proto__", "constructor", "toString", ""),
  fc.string(),
);
