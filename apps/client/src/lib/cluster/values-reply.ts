import { decodeUtf8, parseJsonSafe } from "@zkv/protocol";
import { CLOSE, DONE_PREFIX, digitsEnd, integerIn, startsWith } from "./reply-bytes.js";

/** `,"values":[`: after the `done` of a node's reply to a BATCH of reads (getMany). */
const VALUES_INFIX = Buffer.from(',"values":[');
/** `],"id":`: how such a reply ends, before its id and the closing brace. */
const ID_SUFFIX = Buffer.from('],"id":');
/** Between two strings of the values array: where a piece may end (see parseValuesReply). */
const STRING_BOUNDARY = Buffer.from('","');
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Replies at least this long are read in pieces: V8 puts a string over 128 KiB in its
 * large-object space, on pages of its own, and making one from a reply's bytes cost ~0.9 µs a
 * KiB against ~0.07 below that (Node 20, this VM). A getMany reply of 4000 100-byte values is
 * ~412 KB: turned into a string and parsed whole, ~530 µs; in pieces of 96 KiB, ~270 µs.
 */
export const PIECEWISE_BYTES = 128 * 1024;
const PIECE_BYTES = 96 * 1024;

/** What JSON.parse makes of `{"done":D,"values":[…],"id":N}`. */
export interface ValuesReply {
  readonly done: number;
  readonly values: unknown[];
  readonly id: number;
}

/**
 * The reply `body` holds when its bytes are `{"done":D,"values":[…],"id":N}` (D and N plain
 * integers), read a piece of the values array at a time: each piece ends at a `","` between two
 * of its strings, is decoded (strict UTF-8) and parsed (depth-checked) as an array of its own,
 * and the pieces' elements, in order, are the array's. Undefined for any other bytes, and for
 * any piece that does not parse: a `","` inside a string (the string "," holds one) leaves a
 * piece with an unterminated string, which never parses, so a wrong cut can only send the reply
 * the general way, never change what it says. `pieceBytes` is for tests (small pieces, many cuts).
 */
export function parseValuesReply(
  body: Buffer,
  maxDepth: number,
  pieceBytes = PIECE_BYTES,
): ValuesReply | undefined {
  if (!startsWith(body, DONE_PREFIX, 0)) return undefined;
  const doneEnd = digitsEnd(body, DONE_PREFIX.length);
  if (doneEnd < 0 || !startsWith(body, VALUES_INFIX, doneEnd)) return undefined;
  const idAt = body.lastIndexOf(ID_SUFFIX);
  const idEnd = digitsEnd(body, idAt + ID_SUFFIX.length);
  if (idAt < doneEnd || idEnd !== body.length - 1 || body[idEnd] !== CLOSE) return undefined;
  const done = integerIn(body, DONE_PREFIX.length, doneEnd);
  const id = integerIn(body, idAt + ID_SUFFIX.length, idEnd);
  const end = idAt; // the values array's `]`
  let from = doneEnd + VALUES_INFIX.length;
  // Made at its length (grown by push, a 4000-entry array is copied ~10 times on the way), but
  // never longer than the entries the bytes could hold (3 bytes each: `"",`), whatever `done` says.
  if (done > (end - from + 1) / 3) return undefined;
  const values = new Array<unknown>(done);
  let count = 0;
  while (from < end) {
    let cut = end - from > pieceBytes ? body.indexOf(STRING_BOUNDARY, from + pieceBytes) : -1;
    if (cut < 0 || cut >= end) cut = end - 1; // the rest is one piece
    // The piece's strings with the bytes either side of them: `[` or the `,` before its first
    // string, and the `,` or `]` after its last.
    const piece = pieceOf(body, from - 1, cut + 1, maxDepth);
    if (piece === undefined) return undefined;
    if (count + piece.length > done) return undefined;
    for (let i = 0; i < piece.length; i++) values[count++] = piece[i];
    from = cut + 2; // past `",`: the next piece starts at the next string's quote
  }
  // A reply whose count is not its values' number goes the general way, which shows it as it is.
  return count === done ? { done, values, id } : undefined;
}

/**
 * The strings between body[open] and body[close] parsed as an array: the two bytes are made `[`
 * and `]` while the piece is decoded (decoding copies) and then put back, so the text is parsed
 * as it was decoded, not copied again into a new string with brackets around it (~100 bytes an
 * entry less for the scavenger). Undefined unless the piece is exactly an array.
 */
function pieceOf(body: Buffer, open: number, close: number, maxDepth: number): unknown[] | undefined {
  const before = body[open]!;
  const after = body[close]!;
  body[open] = OPEN_BRACKET;
  body[close] = CLOSE_BRACKET;
  const text = decodeUtf8(body.subarray(open, close + 1));
  body[open] = before;
  body[close] = after;
  if (text === undefined) return undefined;
  // One level for the array around the piece, as the reply's array (inside its object) had two.
  const parsed = parseJsonSafe(text, maxDepth - 1);
  return parsed.ok && Array.isArray(parsed.value) ? parsed.value : undefined;
}
