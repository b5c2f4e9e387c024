import { CLOSE_OBJECT, digitsEnd, integerIn, startsWith } from "@zkv/protocol";
import { DONE_PREFIX } from "./reply-bytes.js";

/** `{"ok":true,"id":` in bytes: how a node's reply to a plain PUT begins. */
const PREFIX = Buffer.from('{"ok":true,"id":');
/** `,"id":`: after the `done` of a BATCH whose every op succeeded with nothing to return. */
const ID_INFIX = Buffer.from(',"id":');

/**
 * The id of a reply whose bytes are exactly `{"ok":true,"id":N}` (N a positive integer of at most
 * 15 digits, no leading zero), or 0 for anything else. A plain PUT's reply, read without making
 * a string, parsing JSON or checking a shape: what a single caller's every write waits for.
 * Anything else, however equal as JSON, goes the general way.
 */
export function okReplyId(body: Buffer): number {
  if (!startsWith(body, PREFIX, 0)) return 0;
  const end = digitsEnd(body, PREFIX.length);
  if (end !== body.length - 1 || body[end] !== CLOSE_OBJECT) return 0;
  return integerIn(body, PREFIX.length, end);
}

/**
 * `{done, id}` of a reply whose bytes are exactly `{"done":D,"id":N}` (D ≥ 0 and N > 0 integers
 * of at most 15 digits, no leading zeros), the object JSON.parse would make of them; undefined
 * for anything else. A BATCH of plain PUTs that all succeeded is answered so (50 callers: every
 * round), and read here without a string, JSON.parse or a shape check.
 */
export function doneReply(body: Buffer): { done: number; id: number } | undefined {
  if (!startsWith(body, DONE_PREFIX, 0)) return undefined;
  const doneEnd = digitsEnd(body, DONE_PREFIX.length);
  if (doneEnd < 0 || !startsWith(body, ID_INFIX, doneEnd)) return undefined;
  const idAt = doneEnd + ID_INFIX.length;
  const end = digitsEnd(body, idAt);
  if (end !== body.length - 1 || body[end] !== CLOSE_OBJECT) return undefined;
  const id = integerIn(body, idAt, end);
  return id > 0 ? { done: integerIn(body, DONE_PREFIX.length, doneEnd), id } : undefined;
}
