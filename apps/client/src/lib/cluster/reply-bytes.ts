/**
 * Reading a reply's bytes where its shape is known in advance (ok-reply.ts, values-reply.ts):
 * prefixes compared byte by byte and integers read digit by digit, with no string made.
 */

/** `{"done":`: how a node's reply to a BATCH in columns begins. */
export const DONE_PREFIX = Buffer.from('{"done":');
export const CLOSE = 0x7d; // }
const ZERO = 0x30;
const NINE = 0x39;
/** Digits an integer read here may have: below 2^53, and what a node's counters reach. */
const MAX_DIGITS = 15;

/** True when `body` holds `prefix` at `at`. */
export function startsWith(body: Buffer, prefix: Buffer, at: number): boolean {
  if (body.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (body[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Where the integer written at `at` ends: 1 to 15 digits, no leading zero ("0" itself is one);
 * -1 when there is none such.
 */
export function digitsEnd(body: Buffer, at: number): number {
  let i = at;
  while (i < body.length && i - at <= MAX_DIGITS && body[i]! >= ZERO && body[i]! <= NINE) i++;
  const n = i - at;
  if (n === 0 || n > MAX_DIGITS || (n > 1 && body[at] === ZERO)) return -1;
  return i;
}

/** The integer written in body[from, to), which digitsEnd found. */
export function integerIn(body: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (body[i]! - ZERO);
  return n;
}
