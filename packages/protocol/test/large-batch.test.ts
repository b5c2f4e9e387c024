import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeRequest, PIECEWISE_BYTES } from "../src/index.js";
import { parseLargeBatch } from "../src/large-batch.js";

/** Pure unit tests: a large BATCH in columns read a piece of its arrays at a time. */

/** Strings full of what the search for an array's end or a piece's cut could be fooled by. */
const tricky = fc.string({
  unit: fc.constantFrom('"', ",", "\\", "]", "[", "}", "x", "é", "\u0000", "😀", ":"),
});
const text = fc.oneof(
  tricky,
  fc.string({ maxLength: 30 }),
  fc.constantFrom(",", '","', '],"values":[', ',"id":1}', ',"deadline":5', "]}"),
);
const batch = fc
  .record({
    entries: fc.array(fc.tuple(text, text), { maxLength: 40 }),
    deadline: fc.option(fc.nat({ max: 2 ** 45 }), { nil: undefined }),
    id: fc.nat({ max: 2 ** 45 }),
  })
  .map(({ entries, deadline, id }) => ({
    op: "BATCH",
    columns: {
      ops: "P".repeat(entries.length),
      keys: entries.map(([k]) => k),
      values: entries.map(([, v]) => v),
    },
    ...(deadline === undefined ? {} : { deadline }),
    id,
  }));

describe("parseLargeBatch", () => {
  it("reads any BATCH of keys and values as JSON.parse does, however small the pieces, and leaves its bytes as they came", () => {
    fc.assert(
      fc.property(batch, fc.integer({ min: 1, max: 64 }), (request, pieceBytes) => {
        const body = Buffer.from(JSON.stringify(request));
        const sent = Buffer.from(body);
        const read = parseLargeBatch(body, 32, pieceBytes);
        // A cut at a `","` inside a string leaves the whole to the general way.
        if (read !== undefined) expect(read).toEqual(JSON.parse(sent.toString()));
        expect(body.equals(sent)).toBe(true);
      }),
    );
  });

  it('reads, rather than leaves to the general way, a BATCH whose keys and values hold no `","`', () => {
    const plain = fc.stringMatching(/^[a-z0-9 é😀\\"]{0,20}$/u).filter((t) => !t.includes('","'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(plain, plain), { maxLength: 40 }),
        fc.integer({ min: 1, max: 64 }),
        (entries, pieceBytes) => {
          const request = {
            op: "BATCH",
            columns: {
              ops: "P".repeat(entries.length),
              keys: entries.map(([k]) => k),
              values: entries.map(([, v]) => v),
            },
            deadline: 12,
            id: 3,
          };
          expect(parseLargeBatch(Buffer.from(JSON.stringify(request)), 32, pieceBytes)).toEqual(request);
        },
      ),
    );
  });

  it("returns JSON.parse's value or nothing for any bytes near that shape", () => {
    // Mutations of a real request: a byte changed, cut or inserted anywhere.
    fc.assert(
      fc.property(
        batch,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.constantFrom("set", "cut", "insert"),
        (request, at, byte, how) => {
          const good = Buffer.from(JSON.stringify(request));
          const i = at % good.length;
          const body =
            how === "set"
              ? Buffer.from(good.map((b, j) => (j === i ? byte : b)))
              : how === "cut"
                ? Buffer.concat([good.subarray(0, i), good.subarray(i + 1)])
                : Buffer.concat([good.subarray(0, i), Buffer.from([byte]), good.subarray(i)]);
          const read = parseLargeBatch(body, 32, 7);
          if (read === undefined) return;
          const text = new TextDecoder("utf-8", { fatal: true }).decode(body);
          expect(read).toEqual(JSON.parse(text));
        },
      ),
    );
  });

  it("leaves every other request and nesting past the limit to the general way", () => {
    const others = [
      '{"op":"BATCH","columns":{"ops":"P","keys":["a"],"values":["b"]},"id":1} ',
      '{"op":"BATCH","columns":{"ops":"P","keys":["a"],"values":[1]},"id":1}',
      '{"op":"BATCH","columns":{"ops":"G","keys":["a"]},"id":1}',
      '{"op":"BATCH","columns":{"ops":"P","keys":["a"],"values":["b"]},"id":01}',
      '{"op":"BATCH","columns":{"ops":"P","keys":["a"],"values":["b"]},"id":1,"op":"PUT"}',
      '{"op":"BATCH","columns":{"ops":"p","keys":["a"],"values":["b"]},"id":1}',
      '{"op":"BATCH","columns":{"ops":"P","keys":[["a"]],"values":["b"]},"id":1}',
    ];
    for (const other of others) expect(parseLargeBatch(Buffer.from(other), 32, 2)).toBeUndefined();
    const ok = Buffer.from('{"op":"BATCH","columns":{"ops":"P","keys":["a"],"values":["b"]},"id":1}');
    expect(parseLargeBatch(ok, 3, 2)).toBeDefined();
    expect(parseLargeBatch(ok, 2, 2)).toBeUndefined();
  });

  it("gives a node a 600 KB putMany message as the request the general way makes of it", () => {
    const n = 4000;
    const keys = Array.from({ length: n }, (_, i) => `key:${String(i).padStart(12, "0")}`);
    const values = keys.map((_, i) => `${"v".repeat(99)}${i % 10}`);
    const request = {
      op: "BATCH",
      columns: { ops: "P".repeat(n), keys, values },
      deadline: 1_800_000_000_000,
      id: 7,
    };
    const body = Buffer.from(JSON.stringify(request));
    expect(body.length).toBeGreaterThan(PIECEWISE_BYTES);
    const decoded = decodeRequest(body);
    expect(decoded).toEqual({ ok: true, request: expect.objectContaining({ op: "BATCH", id: 7 }) });
    // Invalid UTF-8 inside a value is refused as the general way refuses it.
    const bad = Buffer.concat([
      body.subarray(0, body.length - 200),
      Buffer.from([0xc3, 0x28]),
      body.subarray(body.length - 198),
    ]);
    expect(decodeRequest(bad)).toMatchObject({ ok: false, error: { code: "BAD_JSON" } });
  });
});
