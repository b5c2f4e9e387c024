import { encodeReply } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseValuesReply } from "../src/lib/cluster/values-reply.js";

/** Pure unit tests: a getMany reply read a piece of its values at a time. */

const DEPTH = 32;
/** Strings full of what a cut between two strings could be fooled by. */
const tricky = fc.string({ unit: fc.constantFrom('"', ",", "\\", "]", "[", "x", "é", "\u0000", "😀") });
const value = fc.oneof(tricky, fc.string({ maxLength: 40 }), fc.constant(null), fc.constant(","));

describe("parseValuesReply", () => {
  it("is what JSON.parse makes of any {done, values, id} reply, however small the pieces", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(value, { maxLength: 60 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 64 }),
        (done, values, id, pieceBytes) => {
          const body = encodeReply({ done, values, id } as never);
          const sent = Buffer.from(body);
          const read = parseValuesReply(body, DEPTH, pieceBytes);
          if (read !== undefined) expect(read).toEqual(JSON.parse(body.toString()));
          // Read or not, the reply's bytes are as they came: the general way may read them next.
          expect(body.equals(sent)).toBe(true);
        },
      ),
    );
  });

  it("reads, rather than leaves to the general way, values of plain text and nulls", () => {
    const plain = fc.oneof(fc.stringMatching(/^[a-z0-9 ]{0,30}$/), fc.constant(null));
    fc.assert(
      fc.property(
        fc.array(plain, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 64 }),
        (values, pieceBytes) => {
          const body = encodeReply({ done: values.length, values, id: 9 } as never);
          expect(parseValuesReply(body, DEPTH, pieceBytes)).toEqual({ done: values.length, values, id: 9 });
        },
      ),
    );
  });

  it("leaves every other shape to the general way", () => {
    const others = [
      '{"done":1,"values":["a"],"errors":[{"at":0}],"id":3}',
      '{"done":1,"values":["a"]}',
      '{"values":["a"],"done":1,"id":3}',
      '{"done":01,"values":["a"],"id":3}',
      '{"done":1,"values":["a"],"id":3} ',
      '{"done":1,"values":[{"a":"x","b":"y"}],"id":3}',
      '{"done":1,"values":["a","b"],"id":"3"}',
    ];
    for (const other of others) {
      const read = parseValuesReply(Buffer.from(other), DEPTH, 2);
      if (read !== undefined) expect(read).toEqual(JSON.parse(other));
    }
    expect(
      parseValuesReply(Buffer.from('{"done":1,"values":["a"],"errors":[],"id":3}'), DEPTH, 2),
    ).toBeUndefined();
    expect(
      parseValuesReply(Buffer.from('{"done":1,"values":[{"a":"x","b":"y"}],"id":3}'), DEPTH, 2),
    ).toBeUndefined();
  });

  it("leaves a reply whose count is not its values' number to the general way", () => {
    for (const done of [0, 1, 3, 2 ** 40]) {
      const body = Buffer.from(`{"done":${done},"values":["a","b"],"id":3}`);
      expect(parseValuesReply(body, DEPTH, 2)).toBeUndefined();
    }
  });

  it("refuses invalid UTF-8 and nesting past the limit, as the general way does", () => {
    const bad = Buffer.concat([
      Buffer.from('{"done":1,"values":["'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"],"id":3}'),
    ]);
    expect(parseValuesReply(bad, DEPTH, 2)).toBeUndefined();
    const deep = `{"done":1,"values":[${"[".repeat(40)}${"]".repeat(40)}],"id":3}`;
    expect(parseValuesReply(Buffer.from(deep), DEPTH, 2)).toBeUndefined();
    const atLimit = `{"done":1,"values":[${"[".repeat(DEPTH - 2)}${"]".repeat(DEPTH - 2)}],"id":3}`;
    expect(parseValuesReply(Buffer.from(atLimit), DEPTH, 2)).toEqual(JSON.parse(atLimit));
  });
});
