import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastKeyOp } from "../src/key-op-fast-path.js";
import { REQUEST_SCHEMA_BY_OP } from "../src/schemas/requests.js";
import { utf16String } from "./helpers.js";

/** What the schema of the object's own `op` says: the decoded request, or undefined when refused. */
function bySchema(value: unknown): unknown {
  const op = typeof value === "object" && value !== null ? (value as { op?: unknown }).op : undefined;
  const schema = typeof op === "string" ? REQUEST_SCHEMA_BY_OP.get(op) : undefined;
  const result = schema?.safeParse(value);
  return result?.success ? result.data : undefined;
}

/** Field values a near-miss may carry: the right types, wrong types, and odd ones. */
const fieldValue = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.constantFrom("PUT", "GET_ONE", "DELETE", "GET_ALL", "BATCH"),
  fc.string({ maxLength: 300 }),
  fc.array(fc.string(), { maxLength: 2 }),
);

/** Objects shaped like key ops, right or slightly wrong, sometimes with a field too many. */
const nearKeyOp = fc.record(
  {
    op: fc.oneof(fc.constantFrom("PUT", "GET_ONE", "DELETE"), fieldValue),
    // Raw UTF-16 too: a lone surrogate in a PUT's key or value is for the schema to refuse.
    key: fc.oneof(fc.string(), utf16String(), fieldValue),
    value: fc.oneof(fc.string(), utf16String(), fieldValue),
    asking: fc.oneof(fc.boolean(), fieldValue),
    // The data features' fields: the fast path must leave every one of them to the schema.
    ttl: fc.oneof(fc.double({ min: 0.001, max: 1e6, noNaN: true }), fieldValue),
    expiresAt: fc.oneof(fc.integer({ min: 1 }), fieldValue),
    ifAbsent: fc.oneof(fc.boolean(), fieldValue),
    ifVersion: fc.oneof(fc.nat(), fieldValue),
    withVersion: fc.oneof(fc.boolean(), fieldValue),
    deadline: fc.oneof(fc.nat(), fc.integer(), fieldValue),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 80 }), fieldValue),
    extra: fieldValue,
  },
  { requiredKeys: [] },
);

describe("fastKeyOp", () => {
  it("decodes only what the schema accepts, into exactly what the schema returns", () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: nearKeyOp, weight: 4 }, fc.anything()), (value) => {
        const fast = fastKeyOp(value);
        if (fast !== undefined) expect(fast).toEqual(bySchema(value));
      }),
      // Near misses are one wrong field among five: enough runs to meet each kind many times.
      { numRuns: 3000 },
    );
  });

  it("takes the plain forms the seed and BATCH send (so the fast path is not dead code)", () => {
    const plain = fc.oneof(
      fc.record({ op: fc.constant("PUT" as const), key: fc.string(), value: fc.string() }),
      // Reads and deletes take any key, lone surrogates included.
      fc.record({ op: fc.constantFrom("GET_ONE" as const, "DELETE" as const), key: utf16String() }),
    );
    fc.assert(
      fc.property(plain, fc.option(fc.boolean(), { nil: undefined }), (op, asking) => {
        const value = asking === undefined ? op : { ...op, asking };
        expect(fastKeyOp(JSON.parse(JSON.stringify(value)))).toEqual(value);
      }),
    );
    // What zkv's client sends: a write with its deadline.
    fc.assert(
      fc.property(plain, fc.nat(), (op, deadline) => {
        const value = { ...op, deadline };
        const expected = op.op === "GET_ONE" ? undefined : value;
        expect(fastKeyOp(JSON.parse(JSON.stringify(value)))).toEqual(expected);
      }),
    );
  });

  it("leaves a request with a field it does not know to the schema", () => {
    expect(fastKeyOp({ op: "PUT", key: "k", value: "v", ttl: 5 })).toBeUndefined();
    expect(fastKeyOp({ op: "PUT", key: "k", value: "v", ifVersion: 3 })).toBeUndefined();
    expect(fastKeyOp({ op: "GET_ONE", key: "k", withVersion: true })).toBeUndefined();
    expect(fastKeyOp(JSON.parse('{"op":"GET_ONE","key":"k","__proto__":{"x":1}}'))).toBeUndefined();
  });
});
