import { CLOSE_OBJECT } from "./json.js";
import { digitsEnd, integerIn, readArrayInPieces, startsWith } from "./json-bytes.js";

/** How zkv's client writes a BATCH in columns (`requestFrame`: one stringify, keys in this order). */
const HEAD = Buffer.from('{"op":"BATCH","columns":{"ops":"');
const KEYS = Buffer.from('","keys":[');
const VALUES = Buffer.from('],"values":[');
const COLUMNS_END = Buffer.from("]}");
const DEADLINE = Buffer.from(',"deadline":');
const ID = Buffer.from(',"id":');
const QUOTE = 0x22;
const A = 0x41;
const Z = 0x5a;
/** The request's object, its columns and their arrays. */
const DEPTH = 3;

/** What JSON.parse makes of a BATCH in columns of keys and values, as zkv's client sends it. */
export interface LargeBatch {
  readonly op: "BATCH";
  readonly columns: { readonly ops: string; readonly keys: string[]; readonly values: string[] };
  readonly deadline?: number;
  readonly id: number;
}

/**
 * The request `body` holds when its bytes are exactly
 * `{"op":"BATCH","columns":{"ops":"…","keys":[…],"values":[…]}(,"deadline":D)?,"id":N}`: `ops`
 * of capital letters, both arrays of strings only, D and N plain integers. Its arrays are read a
 * piece at a time (readArrayInPieces), so no string of the whole message is made (a putMany
 * message of 4000 entries is ~600 KB). Every byte is either matched here or parsed as part of a
 * piece, so what this returns is what JSON.parse makes of the same bytes; undefined for any
 * other bytes (the general way then reads them, and refuses what it refuses). `keys` ends at the
 * first `],"values":[`, which cannot lie inside a string: a quote in a string is escaped, and
 * `,\"` is not `,"`. `pieceBytes` is for tests.
 */
export function parseLargeBatch(body: Buffer, maxDepth: number, pieceBytes?: number): LargeBatch | undefined {
  if (maxDepth < DEPTH || !startsWith(body, HEAD, 0)) return undefined;
  const opsFrom = HEAD.length;
  let opsEnd = opsFrom;
  while (opsEnd < body.length && body[opsEnd]! >= A && body[opsEnd]! <= Z) opsEnd++;
  if (body[opsEnd] !== QUOTE || !startsWith(body, KEYS, opsEnd)) return undefined;
  const keysFrom = opsEnd + KEYS.length;
  const keysEnd = body.indexOf(VALUES, keysFrom);
  if (keysEnd < 0) return undefined;
  const valuesFrom = keysEnd + VALUES.length;

  // The tail, read from the end: `,"id":N}` and, before it, `,"deadline":D` or nothing.
  if (body[body.length - 1] !== CLOSE_OBJECT) return undefined;
  const idAt = body.lastIndexOf(ID);
  if (idAt < valuesFrom || digitsEnd(body, idAt + ID.length) !== body.length - 1) return undefined;
  const id = integerIn(body, idAt + ID.length, body.length - 1);
  let columnsEnd = idAt;
  let deadline: number | undefined;
  const deadlineAt = body.lastIndexOf(DEADLINE, idAt);
  if (deadlineAt >= valuesFrom && digitsEnd(body, deadlineAt + DEADLINE.length) === idAt) {
    deadline = integerIn(body, deadlineAt + DEADLINE.length, idAt);
    columnsEnd = deadlineAt;
  }
  if (!startsWith(body, COLUMNS_END, columnsEnd - COLUMNS_END.length)) return undefined;
  const valuesEnd = columnsEnd - COLUMNS_END.length;
  if (valuesEnd < valuesFrom) return undefined;

  const keys = stringsIn(body, keysFrom, keysEnd, maxDepth, pieceBytes);
  const values = keys && stringsIn(body, valuesFrom, valuesEnd, maxDepth, pieceBytes);
  if (keys === undefined || values === undefined) return undefined;
  const columns = { ops: body.toString("latin1", opsFrom, opsEnd), keys, values };
  return deadline === undefined ? { op: "BATCH", columns, id } : { op: "BATCH", columns, deadline, id };
}

/** The array between body[from - 1] and body[end] when it holds strings only. */
function stringsIn(
  body: Buffer,
  from: number,
  end: number,
  maxDepth: number,
  pieceBytes: number | undefined,
): string[] | undefined {
  const out: unknown[] = [];
  // The array sits two levels down (the request's object, its columns).
  if (readArrayInPieces(body, from, end, maxDepth - 2, out, pieceBytes) < 0) return undefined;
  for (let i = 0; i < out.length; i++) if (typeof out[i] !== "string") return undefined;
  return out as string[];
}
