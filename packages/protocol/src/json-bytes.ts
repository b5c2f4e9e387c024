import { CLOSE_ARRAY, decodeUtf8, OPEN_ARRAY, parseJsonSafe } from "./json.js";

/**
 * Reading JSON's bytes where its shape is known in advance (a node's large BATCH requests, a
 * client's replies): prefixes compared byte by byte, integers read digit by digit, and arrays of
 * a message over 128 KiB decoded and parsed a piece at a time, with no string of the whole made.
 */

const ZERO = 0x30;
const NINE = 0x39;
/** Digits an integer read here may have: below 2^53, and what a node's counters reach. */
const MAX_DIGITS = 15;
/** Between two strings of an array: where a piece may end (see readArrayInPieces). */
const STRING_BOUNDARY = Buffer.from('","');

/**
 * Messages at least this long are read in pieces: V8 puts a string over 128 KiB in its
 * large-object space, on pages of its own, and making one from a message's bytes cost ~0.9 µs a
 * KiB against ~0.07 below that (Node 20, this VM): 543 µs for a 600 KB BATCH of 4000 PUTs made
 * whole, 41–49 µs in pieces of 60–120 KB.
 */
export const PIECEWISE_BYTES = 128 * 1024;
const PIECE_BYTES = 96 * 1024;

/** True when `body` holds `prefix` at `at`. */
export function startsWith(body: Buffer, prefix: Buffer, at: number): boolean {
  if (at < 0 || body.length < at + prefix.length) return false;
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

/**
 * The elements of the JSON array whose `[` is at body[from - 1] and whose `]` is at body[end],
 * written into `out` from index 0, read a piece at a time: each piece ends at a `","` between
 * two strings, is decoded (strict UTF-8) and parsed (depth-checked) as an array of its own, and
 * the pieces' elements, in order, are the array's. Returns how many were written, or -1 when
 * any piece does not parse: a `","` inside a string (the string "," holds one) leaves a piece
 * with an unterminated string, which never parses, so a wrong cut can only make the caller go
 * the general way, never change what the array holds. `body` is as it came afterwards.
 * `maxDepth` counts the array itself; `pieceBytes` is for tests (small pieces, many cuts).
 */
export function readArrayInPieces(
  body: Buffer,
  from: number,
  end: number,
  maxDepth: number,
  out: unknown[],
  pieceBytes = PIECE_BYTES,
): number {
  let count = 0;
  while (from < end) {
    let cut = end - from > pieceBytes ? body.indexOf(STRING_BOUNDARY, from + pieceBytes) : -1;
    if (cut < 0 || cut >= end) cut = end - 1; // the rest is one piece
    // The piece's strings with the bytes either side of them: `[` or the `,` before its first
    // string, and the `,` or `]` after its last.
    const piece = pieceOf(body, from - 1, cut + 1, maxDepth);
    if (piece === undefined) return -1;
    for (let i = 0; i < piece.length; i++) out[count++] = piece[i];
    from = cut + 2; // past `",`: the next piece starts at the next string's quote
  }
  return count;
}

/**
 * The elements between body[open] and body[close] parsed as an array: the two bytes are made `[`
 * and `]` while the piece is decoded (decoding copies) and then put back, so the text is parsed
 * as it was decoded, not copied again into a new string with brackets around it (~100 bytes an
 * entry less for the scavenger). Undefined unless the piece is exactly an array.
 */
function pieceOf(body: Buffer, open: number, close: number, maxDepth: number): unknown[] | undefined {
  const before = body[open]!;
  const after = body[close]!;
  body[open] = OPEN_ARRAY;
  body[close] = CLOSE_ARRAY;
  const text = decodeUtf8(body.subarray(open, close + 1));
  body[open] = before;
  body[close] = after;
  if (text === undefined) return undefined;
  const parsed = parseJsonSafe(text, maxDepth);
  return parsed.ok && Array.isArray(parsed.value) ? parsed.value : undefined;
}
