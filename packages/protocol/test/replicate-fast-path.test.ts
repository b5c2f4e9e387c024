import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copiesOfReplicate, replicateColumnsOf } from "../src/replicate-columns.js";
import { fastReplicate } from "../src/replicate-fast-path.js";
import { ReplicateRequestSchema } from "../src/schemas/replication.js";
import { utf16String } from "./helpers.js";

const odd = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.integer(),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(-1, 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1.5),
);

/** Copies as a coordinator sends them, right or slightly wrong. */
const copyLike = fc.record(
  {
    key: fc.oneof(fc.string(), utf16String(), odd),
    value: fc.oneof(fc.string(), utf16String(), odd),
    version: fc.oneof(fc.nat(), odd),
    expiresAt: fc.oneof(fc.integer({ min: 1 }), odd),
    extra: odd,
  },
  { requiredKeys: [] },
);

/** Copies a coordinator sends: values, tombstones, expiring values. */
const validCopy = fc.record(
  { key: fc.string(), value: fc.string(), version: fc.nat(), expiresAt: fc.integer({ min: 1 }) },
  { requiredKeys: ["key", "version"] },
);

/** Columns as a coordinator sends them, right or slightly wrong (lengths, types, extra fields). */
const columnsLike = fc.record(
  {
    keys: fc.array(fc.oneof({ arbitrary: fc.string(), weight: 4 }, utf16String(), odd), { maxLength: 3 }),
    values: fc.array(fc.oneof({ arbitrary: fc.string(), weight: 4 }, utf16String(), fc.constant(null), odd), {
      maxLength: 3,
    }),
    versions: fc.array(fc.oneof({ arbitrary: fc.nat(), weight: 4 }, odd), { maxLength: 3 }),
    expiresAt: fc.array(fc.oneof({ arbitrary: fc.nat(), weight: 4 }, odd), { maxLength: 3 }),
    extra: odd,
  },
  { requiredKeys: ["keys", "values", "versions"] },
);

describe("REPLICATE in columns", () => {
  it("carries exactly the copies of the rows it was made from", () => {
    fc.assert(
      fc.property(fc.array(validCopy, { maxLength: 6 }), (entries) => {
        const columns = replicateColumnsOf(entries);
        expect(copiesOfReplicate({ columns })).toEqual(entries);
        const message = { op: "REPLICATE", columns };
        expect(ReplicateRequestSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
      }),
    );
  });
});

describe("fastReplicate", () => {
  it("decodes only what the schema accepts, into exactly what the schema returns", () => {
    const message = fc.record(
      {
        op: fc.oneof({ arbitrary: fc.constant("REPLICATE"), weight: 5 }, odd),
        entries: fc.oneof(
          { arbitrary: fc.array(validCopy, { maxLength: 4 }), weight: 4 },
          fc.array(fc.oneof({ arbitrary: copyLike, weight: 5 }, fc.anything()), { maxLength: 4 }),
          odd,
        ),
        columns: fc.oneof(
          { arbitrary: fc.array(validCopy, { maxLength: 4 }).map(replicateColumnsOf), weight: 4 },
          { arbitrary: columnsLike, weight: 4 },
          odd,
        ),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 70 }), odd),
        extra: odd,
      },
      { requiredKeys: [] },
    );
    let taken = 0;
    let columnsTaken = 0;
    fc.assert(
      fc.property(message, (value) => {
        const fast = fastReplicate(value);
        if (fast === undefined) return;
        taken++;
        if (typeof value === "object" && value !== null && "columns" in value) columnsTaken++;
        const parsed = ReplicateRequestSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 5000 },
    );
    expect(taken).toBeGreaterThan(100);
    expect(columnsTaken).toBeGreaterThan(100);
  });

  it("takes what a coordinator sends (so the fast path is not dead code)", () => {
    const entries = [
      { key: "k", value: "v", version: 17 },
      { key: "gone", version: 18 },
      { key: "ttl", value: "v", version: 19, expiresAt: 1_700_000_000_000 },
    ];
    expect(fastReplicate({ op: "REPLICATE", entries, id: 4 })).toEqual({ op: "REPLICATE", entries, id: 4 });
    expect(
      fastReplicate({ op: "REPLICATE", entries: [{ key: "\ud800", value: "v", version: 1 }] }),
    ).toBeUndefined();
  });
});
