import fc from "fast-check";
import type { BatchOp } from "../../src/index.js";
import { anyString } from "../helpers.js";

// BATCH requests as the batch-columns tests generate them.

/** A quorum a client may set, and ones it should not. */
export const quorum = fc.oneof(
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
export const batch = fc
  .tuple(
    fc.array(batchOp, { minLength: 1, maxLength: 40 }),
    fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
  )
  .map(([ops, q]) =>
    q === undefined ? ops : ops.map((op) => ({ ...op, ...(op.op === "GET_ONE" ? { r: q } : { w: q }) })),
  );

/** JSON there and back, as the wire does it. */
export const wire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** An id field for a request, or none. */
export function requestIdOrNot() {
  return fc.option(
    fc.oneof(fc.integer(), fc.string({ maxLength: 64 })).map((id) => ({ id })),
    { nil: {} },
  );
}
