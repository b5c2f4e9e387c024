import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastBatch } from "../src/batch-fast-path.js";
import {
  acceptsPlainOp,
  BatchColumnsSchema,
  type BatchOp,
  BatchRequestSchema,
  ColumnsReplyBuilder,
  columnsReplyOf,
  decodeBatchColumns,
  decodeBatchOp,
  decodeRequest,
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
import { anyString, bytes } from "./helpers.js";

/** A quorum a client may set, and ones it should not. */
const quorum = fc.oneof(
  fc.integer({ min: 1, max: 64 }),
  fc.constantFrom(0, 65, 1.5, "2" as unknown as number),
);

/** Key operations as a batch carries them: mostly plain, some with options or odd fields. */
const batchOp: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("PUT" as const), key: anyString, value: anyString }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("GET_ONE" as const), key: anyString }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("DELETE" as const), key: anyString }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        op: fc.constantFrom("PUT" as const, "GET_ONE" as const, "DELETE" as const),
        key: fc.oneof(anyString, fc.integer() as fc.Arbitrary<unknown> as fc.Arbitrary<string>),
        value: anyString,
        ttl: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        ifVersion: fc.nat(),
        ifAbsent: fc.boolean(),
        withVersion: fc.boolean(),
        asking: fc.boolean(),
        w: quorum,
        r: quorum,
      },
      { requiredKeys: ["op", "key"] },
    ) as fc.Arbitrary<BatchOp>,
  },
);

/** Batches, some sharing one quorum (the client's `w` and `r`), as ZkvClient sends them. */
const batch = fc
  .tuple(
    fc.array(batchOp, { minLength: 1, maxLength: 40 }),
    fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  )
  .map(([ops, q]) =>
    q === undefined ? ops : ops.map((op) => ({ ...op, ...(op.op === "GET_ONE" ? { r: q } : { w: q }) })),
  );

/** JSON there and back, as the wire does it. */
const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("BATCH columns", () => {
  it("decode(encode(ops)) = ops, across the wire", () => {
    fc.assert(
      fc.property(batch, (ops) => {
        const columns = wire(encodeBatchColumns(ops));
        expect(decodeBatchColumns(columns)).toEqual(wire(ops));
        // What the client sends is a valid BATCH, whatever its elements hold.
        expect(BatchColumnsSchema.safeParse(columns).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("puts plain operations in columns, and only what has options or another quorum in rows", () => {
    const columns = encodeBatchColumns([
      { op: "PUT", key: "a", value: "1", w: 2 },
      { op: "GET_ONE", key: "a" },
      { op: "DELETE", key: "b", w: 2 },
      { op: "PUT", key: "c", value: "3", ttl: 5, w: 2 },
      { op: "PUT", key: "d", value: "4", w: 3 },
    ]);
    expect(columns).toEqual({
      ops: "PGDRR",
      keys: ["a", "a", "b"],
      values: ["1"],
      rows: [
        { op: "PUT", key: "c", value: "3", ttl: 5, w: 2 },
        { op: "PUT", key: "d", value: "4", w: 3 },
      ],
      w: 2,
    });
  });

  it("is decoded by decodeRequest, fast path or schema, into what the schema returns", () => {
    fc.assert(
      fc.property(batch, requestIdOrNot(), (ops, id) => {
        const request = { op: "BATCH", columns: encodeBatchColumns(ops), ...id };
        const decoded = decodeRequest(bytes(JSON.stringify(request)));
        expect(decoded).toEqual({ ok: true, request: BatchRequestSchema.parse(wire(request)) });
      }),
      { numRuns: 300 },
    );
  });

  it("refuses columns that do not add up, naming the field", () => {
    // Errors name the top-level field: the first path segment (see issues.ts).
    const refused = (columns: unknown) => {
      const decoded = decodeRequest(bytes(JSON.stringify({ op: "BATCH", columns })));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) {
        expect([decoded.error.code, decoded.error.field]).toEqual([ErrorCode.INVALID_REQUEST, "columns"]);
      }
    };
    refused({ ops: "PG", keys: ["a"], values: ["1"] });
    refused({ ops: "P", keys: ["a"] });
    refused({ ops: "X", keys: ["a"] });
    refused({ ops: "", keys: [] });
    refused({ ops: "R" });
    refused({ ops: "G", keys: ["a"], r: 0 });
    const both = decodeRequest(
      bytes('{"op":"BATCH","ops":[{"op":"PING"}],"columns":{"ops":"G","keys":["a"]}}'),
    );
    expect(both.ok).toBe(false);
  });

  it("fastBatch decodes only what the schema accepts, into exactly what it returns", () => {
    const columnsLike = fc.record(
      {
        ops: fc.oneof(fc.stringMatching(/^[PGDR]{0,6}$/), fc.string({ maxLength: 4 }), fc.integer()),
        keys: fc.oneof(fc.array(fc.anything(), { maxLength: 6 }), fc.anything()),
        values: fc.oneof(fc.array(anyString, { maxLength: 6 }), fc.anything()),
        rows: fc.oneof(fc.array(fc.anything(), { maxLength: 6 }), fc.anything()),
        w: fc.oneof(quorum, fc.anything()),
        r: fc.oneof(quorum, fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const batchLike = fc.record(
      {
        op: fc.oneof(fc.constant("BATCH"), fc.anything()),
        ops: fc.oneof(fc.array(fc.anything(), { maxLength: 3 }), fc.anything()),
        columns: fc.oneof(columnsLike, fc.anything()),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 70 }), fc.anything()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(batchLike, (value) => {
        const fast = fastBatch(value);
        if (fast === undefined) return;
        const schema = BatchRequestSchema.safeParse(value);
        expect(schema.success).toBe(true);
        expect(fast).toEqual(schema.data);
      }),
      { numRuns: 3000 },
    );
    // And it is not dead code: the forms the client sends take it.
    expect(
      fastBatch({ op: "BATCH", columns: { ops: "PG", keys: ["a", "b"], values: ["1"] }, id: 3 }),
    ).toBeDefined();
    expect(fastBatch({ op: "BATCH", ops: [{ op: "PUT", key: "a", value: "1" }] })).toBeDefined();
  });
});

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

function requestIdOrNot() {
  return fc.option(
    fc.oneof(fc.integer(), fc.string({ maxLength: 64 })).map((id) => ({ id })),
    { nil: {} },
  );
}
