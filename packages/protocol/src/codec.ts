import { ErrorCode, ZkvError } from "./errors.js";
import { parseFrames } from "./frames.js";
import { zodErrorToZkv } from "./issues.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { own } from "./own-fields.js";
import { isRequestId } from "./schemas/common.js";
import {
  type ErrorReply,
  ErrorReplySchema,
  REPLY_SCHEMA_BY_OP,
  type Reply,
  type ReplyFor,
  ReplySchema,
} from "./schemas/replies.js";
import type { Op, Request } from "./schemas/requests.js";

/**
 * A request as one UTF-8 JSON frame, ready for `socket.send`.
 *
 * Why no validation: the type already guarantees the shape and the server
 * validates anyway; `JSON.stringify` escapes lone surrogates, so the bytes
 * are always valid UTF-8 and omit `undefined` fields such as an absent id.
 */
export function encodeRequest(request: Request): Buffer {
  return Buffer.from(JSON.stringify(request), "utf8");
}

/** A reply (success or error) as one UTF-8 JSON frame; see {@link encodeRequest} for why unvalidated. */
export function encodeReply(reply: Reply): Buffer {
  return Buffer.from(JSON.stringify(reply), "utf8");
}

/**
 * Client-side decoding of one reply message. Returns the validated reply
 * (an error reply is a normal return: check `isErrorReply`) and throws
 * ZkvError only when the message itself is garbage: BAD_FRAMES, TOO_LARGE,
 * BAD_JSON with the same rules as requests, or INVALID_REQUEST (with
 * `field`) when the JSON is not a reply of the expected shape.
 *
 * Pass the `op` of the request being answered whenever known: replies carry
 * no op, and checking against that op's one reply shape is both stricter and
 * typed (`decodeReply(buf, "GET_ONE")` returns `GetOneReply | ErrorReply`).
 * Without it, the reply is matched against every shape, most specific first.
 */
export function decodeReply<O extends Op = Op>(
  frames: readonly Uint8Array[] | Uint8Array,
  op?: O,
  limits: Limits = DEFAULT_LIMITS,
): ReplyFor<O> | ErrorReply {
  const parsed = parseFrames(frames, limits);
  if (!parsed.ok) throw parsed.error;
  const value = parsed.value;
  const schema = pickReplySchema(value, op);
  const result = schema.safeParse(value);
  if (!result.success) throw zodErrorToZkv(result.error, "reply");
  return result.data as ReplyFor<O> | ErrorReply;
}

/**
 * Like {@link decodeReply} for a reply whose JSON is already parsed: a client that must read the
 * `id` first (to learn which request, and so which op, a reply answers) parses once and then
 * checks the shape against that op only.
 */
export function validateReply<O extends Op = Op>(value: unknown, op?: O): ReplyFor<O> | ErrorReply {
  if (op !== undefined && isCommonReply(value, op)) return value as ReplyFor<O>;
  const result = pickReplySchema(value, op).safeParse(value);
  if (!result.success) throw zodErrorToZkv(result.error, "reply");
  return result.data as ReplyFor<O> | ErrorReply;
}

/** The one schema a reply is checked against, given what the caller knows about its op. */
function pickReplySchema(value: unknown, op: Op | undefined) {
  if (op === undefined) return ReplySchema;
  if (typeof value === "object" && value !== null && Object.hasOwn(value, "error")) return ErrorReplySchema;
  if (!Object.hasOwn(REPLY_SCHEMA_BY_OP, op)) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, `unknown op ${JSON.stringify(op)}`, { field: "op" });
  }
  return REPLY_SCHEMA_BY_OP[op];
}

/**
 * The replies a client gets most, checked by hand: a plain PUT's `{"ok":true}`, a DELETE's, a
 * GET_ONE's key and value, a BATCH's `done` or `results` (their elements are read one by one by
 * whoever takes them). A zod parse costs a microsecond and a copy per reply; this is a few type
 * checks. True only for an object whose every own field is one of these, well typed, so it is
 * exactly what the op's schema would return; anything else (an error, a version, a field it does
 * not know) goes through the schema. A property test holds the two together.
 */
export function isCommonReply(value: unknown, op: Op): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = value as Record<string, unknown>;
  let count = 0;
  if (Object.hasOwn(fields, "id")) {
    if (!isRequestId(fields.id)) return false;
    count++;
  }
  switch (op) {
    case "PUT":
      count += 1;
      if (own(fields, "ok") !== true) return false;
      break;
    case "DELETE":
      count += 2;
      if (own(fields, "ok") !== true || typeof own(fields, "deleted") !== "boolean") return false;
      break;
    case "GET_ONE":
      count += 2;
      if (typeof own(fields, "key") !== "string" || typeof own(fields, "value") !== "string") return false;
      break;
    case "BATCH":
      if (Object.hasOwn(fields, "results")) {
        count++;
        if (!Array.isArray(own(fields, "results"))) return false;
        break;
      }
      count++;
      if (!Number.isSafeInteger(own(fields, "done")) || (own(fields, "done") as number) < 0) return false;
      for (const name of ["values", "deleted", "rows", "errors"]) {
        if (!Object.hasOwn(fields, name)) continue;
        if (!Array.isArray(fields[name])) return false;
        count++;
      }
      break;
    default:
      return false;
  }
  return Object.keys(fields).length === count;
}
