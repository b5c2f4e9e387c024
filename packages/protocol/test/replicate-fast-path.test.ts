import fc from "fast-check";
import { describe, expect, it } from "vitest";
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
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 70 }), odd),
        extra: odd,
      },
      { requiredKeys: [] },
    );
    let taken = 0;
    fc.assert(
      fc.property(message, (value) => {
        const fast = fastReplicate(value);
        if (fast === undefined) return;
        taken++;
        const parsed = ReplicateRequestSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 5000 },
    );
    expect(taken).toBeGreaterThan(100);
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
