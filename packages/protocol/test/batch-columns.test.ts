import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastBatch } from "../src/batch-fast-path.js";
import {
  BatchColumnsSchema,
  BatchRequestSchema,
  decodeBatchColumns,
  decodeRequest,
  ErrorCode,
  encodeBatchColumns,
} from "../src/index.js";
import { anyString, bytes } from "./helpers.js";
import { batch, quorum, requestIdOrNot, wire } from "./support/batches.js";

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
        deadline: fc.oneof(fc.nat(), fc.integer(), fc.anything()),
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
