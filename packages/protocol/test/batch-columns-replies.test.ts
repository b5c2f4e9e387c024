import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  acceptsPlainOp,
  ColumnsReplyBuilder,
  columnsReplyOf,
  decodeBatchColumns,
  decodeBatchOp,
  ErrorCode,
  encodeBatchColumns,
  keyNotFound,
  type Reply,
  repliesOfColumns,
  resolveLimits,
  toErrorReply,
  validateReply,
  ZkvError,
} from "../src/index.js";
import { anyString } from "./helpers.js";
import { batch, wire } from "./support/batches.js";

describe("BATCH columns replies", () => {
  /** Replies each op of `ops` could get on its own, of the shapes a node gives. */
  const repliesFor = (columns: ReturnType<typeof encodeBatchColumns>) => {
    const letters = [...columns.ops];
    let k = 0;
    return fc.tuple(
      ...letters.map((letter) => {
        const key = letter === "R" ? "" : (columns.keys![k++] as string);
        const failure = fc
          .constantFrom(
            ErrorCode.WRONG_NODE,
            ErrorCode.TOO_LARGE,
            ErrorCode.OUT_OF_MEMORY,
            ErrorCode.CONFLICT,
          )
          .map((code): Reply => toErrorReply(new ZkvError(code, `${code} here`)));
        switch (letter) {
          case "P":
            return fc.oneof(fc.constant<Reply>({ ok: true }), failure);
          case "G":
            return fc.oneof(
              anyString.map((value): Reply => ({ key, value })),
              fc.constant(toErrorReply(keyNotFound(key))),
              failure,
            );
          case "D":
            return fc.oneof(
              fc.boolean().map((deleted): Reply => ({ ok: true, deleted })),
              failure,
            );
          default:
            return fc.oneof(
              fc.constant<Reply>({ ok: true, version: 7 }),
              fc.constant<Reply>({ key: "x", value: "y", version: 3, expiresAt: 9 }),
              failure,
            );
        }
      }),
    );
  };

  it("give back, op by op, the reply each would have got alone", () => {
    fc.assert(
      fc.property(
        batch.map(encodeBatchColumns).chain((columns) => fc.tuple(fc.constant(columns), repliesFor(columns))),
        ([columns, replies]) => {
          const reply = wire(columnsReplyOf(columns.ops, replies));
          // The reply a zkv client checks it against.
          expect(validateReply({ ...reply, id: 1 }, "BATCH")).toEqual({ ...reply, id: 1 });
          expect(repliesOfColumns(wire(columns), reply)).toEqual(wire(replies));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("agree with decodeBatchOp on which plain operations are valid", () => {
    const limits = resolveLimits({ maxKeyBytes: 12, maxValueBytes: 20 });
    const candidate = fc.oneof(anyString, fc.string({ maxLength: 30 }), fc.anything());
    fc.assert(
      fc.property(fc.constantFrom("P", "G", "D"), candidate, candidate, (letter, key, value) => {
        const [element] = decodeBatchColumns({
          ops: letter,
          keys: [key],
          ...(letter === "P" ? { values: [value] } : {}),
        });
        expect(acceptsPlainOp(letter, key, value, limits)).toBe(decodeBatchOp(element, limits).ok);
      }),
      { numRuns: 3000 },
    );
  });

  it("are one small object when every operation succeeded", () => {
    const builder = new ColumnsReplyBuilder();
    expect(JSON.stringify(builder.build(1000))).toBe('{"done":1000}');
  });

  it("throw INTERNAL, never crash, on a reply that does not fit its columns", () => {
    const columns = encodeBatchColumns([
      { op: "GET_ONE", key: "a" },
      { op: "DELETE", key: "b" },
    ]);
    for (const reply of [
      { done: 3, values: ["x"], deleted: [true] },
      { done: 2, values: [], deleted: [true] },
      { done: 2, values: [7], deleted: [true] },
      { done: 2, values: ["x"], deleted: ["yes"] },
      { done: 2, values: ["x"], deleted: [true], errors: [7] },
    ]) {
      expect(() => repliesOfColumns(columns, reply)).toThrowError(
        expect.objectContaining({ code: ErrorCode.INTERNAL }) as Error,
      );
    }
  });
});
