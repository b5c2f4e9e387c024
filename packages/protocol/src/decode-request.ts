import { fastBatch } from "./batch-fast-path.js";
import { ErrorCode, ZkvError } from "./errors.js";
import { parseFrames } from "./frames.js";
import { zodErrorToZkv } from "./issues.js";
import { fastKeyOp } from "./key-op-fast-path.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { fastReplicate } from "./replicate-fast-path.js";
import { isRequestId, type RequestId } from "./schemas/common.js";
import { REQUEST_SCHEMA_BY_OP, type Request } from "./schemas/requests.js";

/**
 * Outcome of {@link decodeRequest}. On failure, `id` is the request's own id
 * whenever the JSON parsed and carried a valid one, so the error reply can
 * echo it and DEALER clients can still correlate it.
 */
export type DecodeRequestResult =
  | { ok: true; request: Request }
  | { ok: false; error: ZkvError; id?: RequestId };

/**
 * Server-side decoding of one request message. Never throws, on any input.
 *
 * `frames` are the message body frames after the ROUTER envelope (identity
 * and, for REQ clients, the empty delimiter) has been removed; a single
 * Buffer is treated as one frame. `limits` should come from `resolveLimits`
 * and is not re-validated here, to keep the hot path to one depth scan, one
 * `JSON.parse` and one object-schema parse.
 *
 * The returned request is a fresh plain object holding only the fields of
 * its op: unknown fields (including `__proto__` and `constructor`) are dropped.
 */
export function decodeRequest(
  frames: readonly Uint8Array[] | Uint8Array,
  limits: Limits = DEFAULT_LIMITS,
): DecodeRequestResult {
  try {
    const parsed = parseFrames(frames, limits);
    if (!parsed.ok) return parsed;
    return validateRequest(parsed.value, limits);
  } catch (cause) {
    return { ok: false, error: new ZkvError(ErrorCode.INTERNAL, "request decoding failed", { cause }) };
  }
}

/** Parsed JSON → validated request: object check, op dispatch, schema parse, byte limits. */
function validateRequest(value: unknown, limits: Limits): DecodeRequestResult {
  const fast = fastKeyOp(value);
  if (fast !== undefined) {
    const sizeError = checkSizes(fast, limits);
    if (sizeError === undefined) return { ok: true, request: fast };
    return { ok: false, error: sizeError, ...(fast.id === undefined ? {} : { id: fast.id }) };
  }
  const many = fastBatch(value) ?? fastReplicate(value);
  if (many !== undefined) return { ok: true, request: many };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: new ZkvError(ErrorCode.INVALID_REQUEST, "request must be a JSON object") };
  }
  const fields = value as Record<string, unknown>;
  const id = ownField(fields, "id");
  const echo = isRequestId(id) ? { id } : {};
  const op = ownField(fields, "op");
  if (typeof op !== "string") {
    const error = new ZkvError(ErrorCode.INVALID_REQUEST, '"op" must be a string', { field: "op" });
    return { ok: false, error, ...echo };
  }
  const schema = REQUEST_SCHEMA_BY_OP.get(op);
  if (schema === undefined) {
    // Quote at most 64 characters of the op: an error reply must never echo a huge input back.
    const shown = op.length > 64 ? `${JSON.stringify(op.slice(0, 64))}…` : JSON.stringify(op);
    const error = new ZkvError(ErrorCode.UNKNOWN_OP, `unknown op ${shown}`, { field: "op" });
    return { ok: false, error, ...echo };
  }
  const result = schema.safeParse(fields);
  if (!result.success) {
    return { ok: false, error: zodErrorToZkv(result.error, "request"), ...echo };
  }
  const request = result.data;
  const sizeError = checkSizes(request, limits);
  return sizeError === undefined ? { ok: true, request } : { ok: false, error: sizeError, ...echo };
}

/** The ops a BATCH may carry. */
const BATCHABLE = new Set(["PUT", "GET_ONE", "DELETE"]);

/**
 * Validates one element of a BATCH exactly as a request of its own (schema, byte limits), and
 * refuses ops that cannot be batched. Never throws.
 */
export function decodeBatchOp(value: unknown, limits: Limits = DEFAULT_LIMITS): DecodeRequestResult {
  const op = typeof value === "object" && value !== null ? (value as { op?: unknown }).op : undefined;
  if (typeof op === "string" && REQUEST_SCHEMA_BY_OP.has(op) && !BATCHABLE.has(op)) {
    return {
      ok: false,
      error: new ZkvError(ErrorCode.INVALID_REQUEST, `${op} cannot be batched`, { field: "op" }),
    };
  }
  try {
    return validateRequest(value, limits);
  } catch (cause) {
    return { ok: false, error: new ZkvError(ErrorCode.INTERNAL, "request decoding failed", { cause }) };
  }
}

/** Own property lookup, so an absent field never resolves through the prototype chain. */
function ownField(fields: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** TOO_LARGE for a key or value over its byte limit; undefined when within limits. */
function checkSizes(request: Request, limits: Limits): ZkvError | undefined {
  if ("key" in request && exceedsBytes(request.key, limits.maxKeyBytes)) {
    return new ZkvError(ErrorCode.TOO_LARGE, `key exceeds ${limits.maxKeyBytes} bytes`, { field: "key" });
  }
  if ("value" in request && exceedsBytes(request.value, limits.maxValueBytes)) {
    return new ZkvError(ErrorCode.TOO_LARGE, `value exceeds ${limits.maxValueBytes} bytes`, {
      field: "value",
    });
  }
  return undefined;
}

/**
 * Whether `text` is longer than `maxBytes` in UTF-8. Every UTF-16 code unit
 * encodes to 1–3 bytes, so most strings are decided from `length` alone and
 * only borderline ones pay for `Buffer.byteLength`.
 */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(text, "utf8") > maxBytes;
}
