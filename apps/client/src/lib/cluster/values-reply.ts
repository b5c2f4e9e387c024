import { CLOSE_OBJECT, digitsEnd, integerIn, readArrayInPieces, startsWith } from "@zkv/protocol";
import { DONE_PREFIX } from "./reply-bytes.js";

/** `,"values":[`: after the `done` of a node's reply to a BATCH of reads (getMany). */
const VALUES_INFIX = Buffer.from(',"values":[');
/** `],"id":`: how such a reply ends, before its id and the closing brace. */
const ID_SUFFIX = Buffer.from('],"id":');

/** What JSON.parse makes of `{"done":D,"values":[…],"id":N}`. */
export interface ValuesReply {
  readonly done: number;
  readonly values: unknown[];
  readonly id: number;
}

/**
 * The reply `body` holds when its bytes are `{"done":D,"values":[…],"id":N}` (D and N plain
 * integers), its values array read a piece at a time (readArrayInPieces). Undefined for any
 * other bytes, for any piece that does not parse, and for a count that is not the values'
 * number: the general way then reads the reply as it is. A getMany reply of 4000 100-byte values
 * is ~412 KB: turned into a string and parsed whole, ~530 µs; in pieces of 96 KiB, ~270 µs.
 * `pieceBytes` is for tests.
 */
export function parseValuesReply(
  body: Buffer,
  maxDepth: number,
  pieceBytes?: number,
): ValuesReply | undefined {
  if (!startsWith(body, DONE_PREFIX, 0)) return undefined;
  const doneEnd = digitsEnd(body, DONE_PREFIX.length);
  if (doneEnd < 0 || !startsWith(body, VALUES_INFIX, doneEnd)) return undefined;
  const idAt = body.lastIndexOf(ID_SUFFIX);
  const idEnd = digitsEnd(body, idAt + ID_SUFFIX.length);
  if (idAt < doneEnd || idEnd !== body.length - 1 || body[idEnd] !== CLOSE_OBJECT) return undefined;
  const done = integerIn(body, DONE_PREFIX.length, doneEnd);
  const id = integerIn(body, idAt + ID_SUFFIX.length, idEnd);
  const from = doneEnd + VALUES_INFIX.length;
  const end = idAt; // the values array's `]`
  // Made at its length (grown by push, a 4000-entry array is copied ~10 times on the way), but
  // never longer than the entries the bytes could hold (3 bytes each: `"",`), whatever `done` says.
  if (done > (end - from + 1) / 3) return undefined;
  const values = new Array<unknown>(done);
  // One level for the reply's object around the array.
  const count = readArrayInPieces(body, from, end, maxDepth - 1, values, pieceBytes);
  return count === done ? { done, values, id } : undefined;
}
