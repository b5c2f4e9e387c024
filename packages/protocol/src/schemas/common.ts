import { z } from "zod";

/** Longest string request id, in UTF-16 code units (JavaScript `length`). */
export const MAX_ID_LENGTH = 64;

/**
 * Optional correlation id: a string of at most 64 characters or a safe integer.
 *
 * Why: DEALER clients keep many requests in flight on one socket and match
 * replies by this id, which the server echoes verbatim. Bounded so a client
 * cannot make the server echo arbitrary amounts of data.
 */
export const RequestIdSchema = z.union([z.string().max(MAX_ID_LENGTH), z.number().int()]);

/** A request id as it travels on the wire. */
export type RequestId = z.infer<typeof RequestIdSchema>;

/**
 * The `id` field of every request and reply: a {@link RequestIdSchema}, or absent when the client
 * sent none (a reply echoes the request's). Imported as `id` by the schema files.
 */
export const OptionalRequestIdSchema = RequestIdSchema.optional();

/**
 * When the client gives up on a write (PUT, DELETE, BATCH): ms since the epoch. A node that
 * receives the request later applies nothing and answers TIMEOUT. Why: a write delayed in the
 * network (a partition that heals, TCP retransmitting it seconds later) would otherwise land
 * after the writes the client made since, with a newer version, and undo them. Absent: no
 * deadline (the seed's form). Clocks are assumed in step, as versions already assume.
 */
export const OptionalDeadlineSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional();

/** What {@link OptionalDeadlineSchema} accepts when present, for the hand-written fast paths. */
export function isDeadline(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * Keys are arbitrary strings, the empty string included. Byte limits are
 * runtime configuration, so they are enforced by `decodeRequest`, not here.
 */
export const KeySchema = z.string();

/** Values are arbitrary strings; size limits are enforced by `decodeRequest`. */
export const ValueSchema = z.string();

/**
 * Why a stored key or value must be well-formed UTF-16: JSON can escape a lone surrogate
 * (`"\ud800"`) and JavaScript parses it back, but values are UTF-8 on disk, where it becomes
 * U+FFFD, and many other languages' JSON libraries refuse or replace it. A key or value that
 * cannot travel and be stored faithfully is refused rather than silently changed later.
 */
const LONE_SURROGATE = "contains a lone surrogate (a UTF-16 code unit in D800–DFFF without its pair)";

/** True when `text` has no lone surrogate; native (V8), and immediate for one-byte strings. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed();
}

/** The error message for a stored key that is not well-formed UTF-16. */
export const LONE_SURROGATE_IN_KEY = `key ${LONE_SURROGATE}`;

/**
 * A key a request stores (PUT, IMPORT, REPLICATE): well-formed UTF-16. Reads and deletes take any
 * key, so one stored before this check can still be read and removed.
 */
export const StoredKeySchema = KeySchema.refine(isWellFormedText, { message: LONE_SURROGATE_IN_KEY });

/** A value a request stores: well-formed UTF-16, for the same reason as {@link StoredKeySchema}. */
export const StoredValueSchema = ValueSchema.refine(isWellFormedText, { message: `value ${LONE_SURROGATE}` });

/** One stored entry, as listed in a GET_ALL reply. */
export const KeyValueSchema = z.object({ key: KeySchema, value: ValueSchema });

/** One stored entry: the element type of `GetAllReply["collection"]`. */
export type KeyValue = z.infer<typeof KeyValueSchema>;

/**
 * True when `value` is a valid {@link RequestId}. Hand-written rather than a
 * zod parse because `decodeRequest` calls it on every failed request to
 * recover the id for the error reply, and it must agree exactly with
 * {@link RequestIdSchema} (a test checks that).
 */
export function isRequestId(value: unknown): value is RequestId {
  return typeof value === "string" ? value.length <= MAX_ID_LENGTH : Number.isSafeInteger(value);
}
