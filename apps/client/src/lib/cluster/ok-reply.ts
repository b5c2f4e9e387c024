/** `{"ok":true,"id":` in bytes: how a node's reply to a plain PUT begins. */
const PREFIX = Buffer.from('{"ok":true,"id":');
const CLOSE = 0x7d; // }
const ZERO = 0x30;

/**
 * The id of a reply whose bytes are exactly `{"ok":true,"id":N}` (N a positive integer of at most
 * 15 digits, no leading zero), or 0 for anything else. A plain PUT's reply, read without making
 * a string, parsing JSON or checking a shape: what a single caller's every write waits for.
 * Anything else, however equal as JSON, goes the general way.
 */
export function okReplyId(body: Buffer): number {
  const end = body.length - 1;
  if (end < PREFIX.length || end > PREFIX.length + 15 || body[end] !== CLOSE) return 0;
  for (let i = 0; i < PREFIX.length; i++) if (body[i] !== PREFIX[i]) return 0;
  if (body[PREFIX.length] === ZERO) return 0;
  let id = 0;
  for (let i = PREFIX.length; i < end; i++) {
    const digit = body[i]! - ZERO;
    if (digit < 0 || digit > 9) return 0;
    id = id * 10 + digit;
  }
  return id;
}
