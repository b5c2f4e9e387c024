/** `{"ok":true,"id":` in bytes: how a node's reply to a plain PUT begins. */
const PREFIX = Buffer.from('{"ok":true,"id":');
/** `{"done":` and `,"id":`: a node's reply to a BATCH whose every op succeeded with nothing to return. */
const DONE_PREFIX = Buffer.from('{"done":');
const ID_INFIX = Buffer.from(',"id":');
const CLOSE = 0x7d; // }
const ZERO = 0x30;
/** Digits a number read here may have: below 2^53, and what a node's counters reach. */
const MAX_DIGITS = 15;

/**
 * The id of a reply whose bytes are exactly `{"ok":true,"id":N}` (N a positive integer of at most
 * 15 digits, no leading zero), or 0 for anything else. A plain PUT's reply, read without making
 * a string, parsing JSON or checking a shape: what a single caller's every write waits for.
 * Anything else, however equal as JSON, goes the general way.
 */
export function okReplyId(body: Buffer): number {
  const end = body.length - 1;
  if (end < PREFIX.length || end > PREFIX.length + MAX_DIGITS || body[end] !== CLOSE) return 0;
  if (!startsWith(body, PREFIX, 0)) return 0;
  return positiveAt(body, PREFIX.length, end);
}

/**
 * `{done, id}` of a reply whose bytes are exactly `{"done":D,"id":N}` (D ≥ 0 and N > 0 integers
 * of at most 15 digits, no leading zeros), the object JSON.parse would make of them; undefined
 * for anything else. A BATCH of plain PUTs that all succeeded is answered so (50 callers: every
 * round), and read here without a string, JSON.parse or a shape check.
 */
export function doneReply(body: Buffer): { done: number; id: number } | undefined {
  const end = body.length - 1;
  if (end > DONE_PREFIX.length + ID_INFIX.length + 2 * MAX_DIGITS || body[end] !== CLOSE) return undefined;
  if (!startsWith(body, DONE_PREFIX, 0)) return undefined;
  const comma = body.indexOf(ID_INFIX, DONE_PREFIX.length);
  if (comma < 0) return undefined;
  const zero = comma === DONE_PREFIX.length + 1 && body[DONE_PREFIX.length] === ZERO;
  const done = zero ? 0 : positiveAt(body, DONE_PREFIX.length, comma);
  const id = positiveAt(body, comma + ID_INFIX.length, end);
  return (done > 0 || zero) && id > 0 ? { done, id } : undefined;
}

function startsWith(body: Buffer, prefix: Buffer, at: number): boolean {
  if (body.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (body[at + i] !== prefix[i]) return false;
  return true;
}

/** The positive integer written in body[from, to), 1 to 15 digits, no leading zero; 0 otherwise. */
function positiveAt(body: Buffer, from: number, to: number): number {
  if (to <= from || to - from > MAX_DIGITS || body[from] === ZERO) return 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = body[i]! - ZERO;
    if (digit < 0 || digit > 9) return 0;
    n = n * 10 + digit;
  }
  return n;
}
