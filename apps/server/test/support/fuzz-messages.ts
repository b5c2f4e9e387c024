import { OPS } from "@zkv/protocol";
import fc from "fast-check";
import { EMPTY, frame } from "../helpers.js";
import { LIMITS, requestLike } from "./fuzz-fields.js";

// Generators for the wire fuzz (fuzz.test.ts): whole message bodies, hostile ones included, and the
// frames a DEALER sends them in.

/** JSON text with `__proto__` / `constructor` members, written by hand since JSON.stringify drops them. */
const protoJson = fc
  .tuple(
    fc.constantFrom(...OPS),
    fc.constantFrom(
      '"__proto__":{"op":"PING"}',
      '"__proto__":null',
      '"__proto__":{"polluted":true}',
      '"constructor":{"prototype":{"polluted":true}}',
      '"__proto__":{"key":"inherited","value":"inherited"}',
    ),
    fc.boolean(),
  )
  .map(([o, member, first]) =>
    first ? `{${member},"op":"${o}","key":"k","value":"v"}` : `{"op":"${o}",${member},"key":"k","value":"v"}`,
  );

/** Brackets nested up to far beyond maxJsonDepth, sometimes around a request, sometimes inside one. */
const deepJson = fc
  .tuple(
    fc.integer({ min: 1, max: 5000 }),
    fc.constantFrom("[", '{"a":'),
    fc.constantFrom("outer", "value", "raw"),
  )
  .map(([depth, open, where]) => {
    const close = open === "[" ? "]" : "}";
    const nest = (inner: string) => open.repeat(depth) + inner + close.repeat(depth);
    if (where === "outer") return nest('{"op":"PING"}');
    if (where === "value") return `{"op":"PUT","key":"k","value":${nest("1")}}`;
    return open.repeat(depth);
  });

/** A valid request's text with one byte flipped, inserted or removed. */
const mutatedValid = fc
  .tuple(
    fc.constantFrom(
      '{"op":"PUT","key":"k","value":"v"}',
      '{"op":"GET_ONE","key":"k","id":1}',
      '{"op":"GET_ALL","limit":2}',
      '{"op":"DELETE","key":"k"}',
      '{"op":"PING","id":"x"}',
    ),
    fc.nat(),
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom("flip", "insert", "delete"),
  )
  .map(([text, at, byte, how]) => {
    const bytes = [...frame(text)];
    const i = at % bytes.length;
    if (how === "flip") bytes[i] = byte;
    else if (how === "insert") bytes.splice(i, 0, byte);
    else bytes.splice(i, 1);
    return Buffer.from(bytes);
  });

/** Valid JSON with bytes that are not UTF-8 spliced into a string. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom(
      [0xff],
      [0xc0, 0x80], // overlong NUL
      [0x80], // lone continuation byte
      [0xe2, 0x82], // truncated sequence
      [0xed, 0xa0, 0x80], // UTF-16 surrogate encoded as UTF-8
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    ),
    fc.constantFrom("key", "value", "op"),
  )
  .map(([bad, where]) => {
    const template = { op: "PUT", key: "k", value: "v" } as Record<string, string>;
    template[where] = "@@";
    const [before, after] = JSON.stringify(template).split("@@") as [string, string];
    return Buffer.concat([frame(before), Buffer.from(bad), frame(after)]);
  });

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => frame(JSON.stringify(v))) },
  { weight: 6, arbitrary: requestLike.map(frame) },
  { weight: 1, arbitrary: protoJson.map(frame) },
  { weight: 1, arbitrary: deepJson.map(frame) },
  { weight: 2, arbitrary: mutatedValid },
  { weight: 1, arbitrary: invalidUtf8 },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }).map(frame) },
);

/**
 * The frames a DEALER sends: [empty, body] mostly; no delimiter; or the wrong number of frames.
 * Frames stay under the socket cap (2 × maxMessageBytes): beyond it ZeroMQ drops the connection
 * without a reply, by design (node-message-limits.test.ts covers that).
 */
const SOCKET_CAP = 2 * LIMITS.maxMessageBytes;
/** A message to send: its frames, and whether they start with the empty delimiter. */
export const message = fc
  .oneof(
    { weight: 8, arbitrary: body.map((b) => ({ frames: [EMPTY, b], delimited: true })) },
    {
      weight: 1,
      arbitrary: body.filter((b) => b.length > 0).map((b) => ({ frames: [b], delimited: false })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(body, { maxLength: 3 })
        .filter((bodies) => bodies.length !== 1)
        .map((bodies) => ({ frames: [EMPTY, ...bodies], delimited: true })),
    },
  )
  .filter((m) => m.frames.every((f) => f.length <= SOCKET_CAP));
