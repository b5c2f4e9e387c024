import { exceedsBytes } from "./decode-request.js";
import { isErrorReply, toErrorReply } from "./error-reply.js";
import { ErrorCode, ZkvError } from "./errors.js";
import type { Limits } from "./limits.js";
import type { BatchColumns, BatchColumnsReply } from "./schemas/batch.js";
import { isWellFormedText } from "./schemas/common.js";
import type { DeleteRequest, GetOneRequest, PutRequest } from "./schemas/key-ops.js";
import type { ErrorReply, Reply } from "./schemas/replies.js";

/** A key operation as a batch carries it (its own id, if any, is not echoed in a batch). */
export type BatchOp = Omit<PutRequest, "id"> | Omit<GetOneRequest, "id"> | Omit<DeleteRequest, "id">;

/** One failed P, G or D of a columns reply: its index in `ops`, and the error reply it got. */
export type ColumnError = ErrorReply & { readonly at: number };

/** The NOT_FOUND a GET_ONE of a missing (deleted, expired) key gets: one wording for both forms. */
export function keyNotFound(key: string): ZkvError {
  return new ZkvError(ErrorCode.NOT_FOUND, `key not found: ${JSON.stringify(key)}`);
}

/** The reply of a plain PUT; shared, since nothing reads more than `ok` from it. */
const PUT_OK: Reply = Object.freeze({ ok: true as const });
const DELETED: Reply = Object.freeze({ ok: true as const, deleted: true });
const NOT_DELETED: Reply = Object.freeze({ ok: true as const, deleted: false });

/**
 * Operations → the columns form of a BATCH. A PUT, GET_ONE or DELETE with nothing but its key (a
 * PUT's value) and the batch's quorum becomes a letter and its strings; the batch's `w` and `r`
 * are those of the first write and first read. Anything else (options, another quorum, a key
 * that is not a string) travels whole as an R row, so the node answers it exactly as it would
 * alone. Inverse: {@link decodeBatchColumns}.
 */
export function encodeBatchColumns(ops: readonly BatchOp[]): BatchColumns {
  let letters = "";
  const keys: string[] = [];
  const values: string[] = [];
  const rows: BatchOp[] = [];
  let w: number | undefined;
  let r: number | undefined;
  let wSet = false;
  let rSet = false;
  for (const op of ops) {
    const q = op.op === "GET_ONE" ? (op as { r?: number }).r : (op as { w?: number }).w;
    const plain = isPlain(op) && (op.op === "GET_ONE" ? !rSet || q === r : !wSet || q === w);
    if (!plain) {
      letters += "R";
      rows.push(op);
      continue;
    }
    if (op.op === "GET_ONE") {
      letters += "G";
      r = q;
      rSet = true;
    } else {
      letters += op.op === "PUT" ? "P" : "D";
      w = q;
      wSet = true;
      if (op.op === "PUT") values.push(op.value);
    }
    keys.push(op.key);
  }
  return {
    ops: letters,
    ...(keys.length > 0 ? { keys } : {}),
    ...(values.length > 0 ? { values } : {}),
    ...(rows.length > 0 ? { rows } : {}),
    ...(w === undefined ? {} : { w }),
    ...(r === undefined ? {} : { r }),
  };
}

/**
 * True for a PUT, GET_ONE or DELETE with a string key (a PUT also a string value) and nothing else
 * but a valid quorum of its kind: what a letter can stand for. An invalid quorum stays in its row,
 * so it fails that operation alone, not the batch.
 */
function isPlain(op: BatchOp): boolean {
  if (typeof op.key !== "string") return false;
  const quorum = op.op === "GET_ONE" ? "r" : "w";
  for (const name in op) {
    if (name === "op" || name === "key" || (name === "value" && op.op === "PUT")) continue;
    if (name !== quorum) return false;
    const q = (op as Record<string, unknown>)[name];
    if (q !== undefined && !(Number.isInteger(q) && (q as number) >= 1 && (q as number) <= 64)) return false;
  }
  if (op.op === "PUT") return typeof op.value === "string";
  return op.op === "GET_ONE" || op.op === "DELETE";
}

/**
 * The columns form → its operations, each as the `ops` element it stands for (P, G and D with the
 * batch's quorum, R rows as they are). Elements are not validated here: the node validates each
 * one as it applies it, as it does `ops`.
 */
export function decodeBatchColumns(columns: BatchColumns): unknown[] {
  const out: unknown[] = [];
  const w = columns.w === undefined ? {} : { w: columns.w };
  const r = columns.r === undefined ? {} : { r: columns.r };
  let k = 0;
  let v = 0;
  let row = 0;
  for (const letter of columns.ops) {
    if (letter === "R") out.push(columns.rows?.[row++]);
    else {
      const key = columns.keys?.[k++];
      if (letter === "P") out.push({ op: "PUT", key, value: columns.values?.[v++], ...w });
      else if (letter === "G") out.push({ op: "GET_ONE", key, ...r });
      else out.push({ op: "DELETE", key, ...w });
    }
  }
  return out;
}

/**
 * True when the P, G or D (`letter`) of `key` (and a P's `value`) is a valid request: exactly when
 * `decodeBatchOp` accepts the element it stands for, without building that element. A node checks
 * each letter with this and asks decodeBatchOp only for the error of one that fails.
 */
export function acceptsPlainOp(letter: string, key: unknown, value: unknown, limits: Limits): boolean {
  if (typeof key !== "string" || exceedsBytes(key, limits.maxKeyBytes)) return false;
  if (letter !== "P") return true;
  return (
    typeof value === "string" &&
    isWellFormedText(key) &&
    isWellFormedText(value) &&
    !exceedsBytes(value, limits.maxValueBytes)
  );
}

/**
 * Builds a columns reply as the node answers each operation in order: arrays only for what the
 * batch holds, an error list only when something failed.
 */
export class ColumnsReplyBuilder {
  #values: Array<string | null> | undefined;
  #deleted: boolean[] | undefined;
  #rows: Reply[] | undefined;
  #errors: ColumnError[] | undefined;

  /** A G's answer: its value, or null (missing, or failed: then also an error). */
  value(value: string | null): void {
    if (this.#values === undefined) this.#values = [value];
    else this.#values.push(value);
  }

  /** A D's answer: whether the key existed (false when the D failed: then also an error). */
  deleted(existed: boolean): void {
    if (this.#deleted === undefined) this.#deleted = [existed];
    else this.#deleted.push(existed);
  }

  /** An R's answer: its whole reply, errors included. */
  row(reply: Reply): void {
    if (this.#rows === undefined) this.#rows = [reply];
    else this.#rows.push(reply);
  }

  /** The P, G or D at index `at` of `ops` failed with `reply` (a G also gets value(null), a D deleted(false)). */
  error(at: number, reply: ErrorReply): void {
    const entry = { at, error: reply.error };
    if (this.#errors === undefined) this.#errors = [entry];
    else this.#errors.push(entry);
  }

  build(done: number): BatchColumnsReply {
    return {
      done,
      ...(this.#values ? { values: this.#values } : {}),
      ...(this.#deleted ? { deleted: this.#deleted } : {}),
      ...(this.#rows ? { rows: this.#rows } : {}),
      ...(this.#errors ? { errors: this.#errors } : {}),
    };
  }
}

/**
 * The columns reply to `ops`, given the reply each operation got on its own, in order: what a
 * node answers when it applied the operations one by one (with replication). Inverse:
 * {@link repliesOfColumns}.
 */
export function columnsReplyOf(ops: string, replies: readonly Reply[]): BatchColumnsReply {
  const builder = new ColumnsReplyBuilder();
  for (let i = 0; i < ops.length; i++) {
    const letter = ops[i];
    const reply = replies[i]!;
    if (letter === "R") {
      builder.row(reply);
      continue;
    }
    const failed = isErrorReply(reply);
    if (letter === "G") builder.value(failed ? null : (reply as { value: string }).value);
    else if (letter === "D") builder.deleted(!failed && (reply as { deleted: boolean }).deleted);
    // A read of a missing key is its null value, not an error.
    if (failed && !(letter === "G" && reply.error.code === ErrorCode.NOT_FOUND)) builder.error(i, reply);
  }
  return builder.build(ops.length);
}

/**
 * The reply each operation would have got on its own, in order (errors without an id), from a
 * columns reply: the inverse of answering them into a {@link ColumnsReplyBuilder}. A G with a
 * null value and no error is the NOT_FOUND it would have got. Throws ZkvError INTERNAL when the
 * reply does not fit the columns it answers (too few entries, a wrong type).
 */
export function repliesOfColumns(columns: BatchColumns, reply: BatchColumnsReply): Reply[] {
  const { ops } = columns;
  const bad = (what: string) => new ZkvError(ErrorCode.INTERNAL, `BATCH reply: ${what}`);
  if (reply.done !== ops.length) throw bad(`done is ${reply.done}, not ${ops.length}`);
  const failed = new Map<number, ErrorReply>();
  for (const e of reply.errors ?? []) {
    const { at, error } = (e ?? {}) as Partial<ColumnError>;
    if (typeof at !== "number" || typeof error !== "object" || error === null) throw bad("malformed error");
    failed.set(at, { error });
  }
  const out: Reply[] = new Array(ops.length);
  let k = 0;
  let g = 0;
  let d = 0;
  let row = 0;
  for (let i = 0; i < ops.length; i++) {
    const letter = ops[i];
    if (letter === "R") {
      const r = reply.rows?.[row++];
      if (typeof r !== "object" || r === null) throw bad("missing row");
      out[i] = r as Reply;
      continue;
    }
    const key = columns.keys![k++] as string;
    let result: Reply;
    if (letter === "P") result = PUT_OK;
    else if (letter === "G") {
      const value = reply.values?.[g++];
      if (value === null) result = toErrorReply(keyNotFound(key));
      else if (typeof value === "string") result = { key, value };
      else throw bad("missing value");
    } else {
      const deleted = reply.deleted?.[d++];
      if (typeof deleted !== "boolean") throw bad("missing deleted");
      result = deleted ? DELETED : NOT_DELETED;
    }
    out[i] = failed.get(i) ?? result;
  }
  return out;
}
