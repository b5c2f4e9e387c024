import { encodeCursor, type Limits, OPS, resolveLimits } from "@zkv/protocol";
import fc from "fast-check";

// Generators for the wire fuzz (fuzz.test.ts): field values and request-shaped objects.

/** Small limits, so messages "near the limits" are cheap to generate. */
export const LIMITS: Limits = resolveLimits({
  maxMessageBytes: 64 * 1024,
  maxKeyBytes: 1024,
  maxValueBytes: 16 * 1024,
  maxPageSize: 50,
});

/** Characters that stress encoders: JSON escapes, multi-byte UTF-8, surrogates (paired and lone). */
const nastyChar = fc.constantFrom(
  "a",
  "Z",
  '"',
  "\\",
  "/",
  "\u0000",
  "\u0001",
  "\n",
  "\u007f",
  "é",
  "€",
  "\u2028",
  "\u{1f600}",
  "\ud800",
  "\udfff",
  "\ufeff",
  "\uffff",
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 30 });

/** A string whose UTF-8 size is close to `bytes`: one repeated character, so big ones stay cheap. */
const stringNear = (bytes: number) =>
  fc
    .tuple(fc.integer({ min: -4, max: 4 }), nastyChar)
    .map(([delta, c]) => c.repeat(Math.max(0, Math.floor((bytes + delta) / Buffer.byteLength(c)))));

const hugeString = fc.oneof(
  stringNear(LIMITS.maxKeyBytes),
  stringNear(LIMITS.maxValueBytes),
  stringNear(LIMITS.maxMessageBytes - 40),
  stringNear(LIMITS.maxMessageBytes),
);

const validId = fc.oneof(fc.string({ maxLength: 64 }), fc.integer(), fc.maxSafeInteger());
const cursor = fc.oneof(
  fc.string({ maxLength: 3 }).map(encodeCursor),
  fc.string({ maxLength: 20 }),
  fc.constantFrom("", "=", "eyJ2IjoxLCJhZnRlciI6ImEifQ==", encodeCursor("a").toLowerCase()),
);

/** Any field value: mostly wrong types, sometimes the right one. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.integer() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(0, -0, 1.5, 1e308, -1, Number.MAX_SAFE_INTEGER + 2, true, false, null),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constant({ __proto__: null, polluted: true }) },
);

const op = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "put",
      "GET",
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      " PUT",
      "",
    ),
  },
  { weight: 2, arbitrary: anyValue },
);

/** An anti-entropy range ask: replicas, a level, node or leaf indices, sometimes out of bounds. */
const rangeAsk = fc.record(
  {
    replicas: fc.oneof(fc.array(nastyString, { maxLength: 4 }), anyValue),
    level: fc.oneof(fc.integer({ min: -1, max: 3 }), anyValue),
    nodes: fc.oneof(fc.array(fc.integer({ min: -2, max: 1100 }), { maxLength: 5 }), anyValue),
    leaves: fc.oneof(fc.array(fc.integer({ min: -2, max: 1100 }), { maxLength: 5 }), anyValue),
  },
  { requiredKeys: [] },
);

/** Request-shaped objects with every field randomly present, absent or of the wrong type. */
export const requestLike = fc
  .record(
    {
      op,
      key: fc.oneof(nastyString, anyValue),
      value: fc.oneof(nastyString, anyValue),
      id: fc.oneof(validId, anyValue),
      limit: fc.oneof(fc.integer({ min: -2, max: 100 }), anyValue),
      cursor: fc.oneof(cursor, anyValue),
      epoch: fc.oneof(fc.integer({ min: -1, max: 3 }), anyValue),
      peer: fc.oneof(nastyString, anyValue),
      ranges: fc.oneof(fc.array(rangeAsk, { maxLength: 3 }), anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));
