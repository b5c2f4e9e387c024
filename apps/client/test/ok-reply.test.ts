import { encodeReply } from "@zkv/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { doneReply, okReplyId } from "../src/lib/cluster/ok-reply.js";

/** Pure unit tests: the bytes of a plain PUT's reply, read without JSON. */

describe("okReplyId", () => {
  it("reads the id of every {ok:true} reply a node encodes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999_999_999_999 }), (id) => {
        expect(okReplyId(encodeReply({ ok: true, id }))).toBe(id);
      }),
    );
  });

  it("is 0 for any other bytes, and otherwise names what JSON.parse would", () => {
    const near = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 4 }))
        .map(([id, tail]) => Buffer.from(`{"ok":true,"id":${id}}${tail}`)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ ok: true, id: v }) ?? "")),
    );
    fc.assert(
      fc.property(near, (body) => {
        const id = okReplyId(body);
        if (id === 0) return;
        expect(JSON.parse(body.toString())).toEqual({ ok: true, id });
        expect(body).toEqual(encodeReply({ ok: true, id }));
      }),
    );
    for (const other of ['{"ok":true}', '{"ok":true,"id":0}', '{"ok":true,"id":07}', '{"ok":true,"id":"7"}'])
      expect(okReplyId(Buffer.from(other))).toBe(0);
  });
});

describe("doneReply", () => {
  it("reads done and id of every {done:n} reply a node encodes", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 999_999_999_999_999 }),
        fc.integer({ min: 1, max: 999_999_999_999_999 }),
        (done, id) => {
          expect(doneReply(encodeReply({ done, id }))).toEqual({ done, id });
        },
      ),
    );
  });

  it("is undefined for any other bytes, and otherwise is what JSON.parse makes of them", () => {
    const digits = fc.oneof(fc.string({ maxLength: 17 }), fc.nat().map(String), fc.constant("0"));
    const near = fc.oneof(
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      fc
        .tuple(digits, digits, fc.string({ maxLength: 4 }))
        .map(([done, id, tail]) => Buffer.from(`{"done":${done},"id":${id}}${tail}`)),
      fc
        .tuple(fc.jsonValue(), fc.jsonValue())
        .map(([done, id]) => Buffer.from(JSON.stringify({ done, id }) ?? "")),
    );
    fc.assert(
      fc.property(near, (body) => {
        const read = doneReply(body);
        if (read === undefined) return;
        expect(JSON.parse(body.toString())).toEqual(read);
        expect(body).toEqual(encodeReply(read));
      }),
    );
    for (const other of [
      '{"done":1}',
      '{"done":1,"id":0}',
      '{"done":01,"id":7}',
      '{"done":a,"id":7}',
      '{"done":1,"id":"7"}',
      '{"done":1,"id":7,"errors":[]}',
      '{"id":7,"done":1}',
    ])
      expect(doneReply(Buffer.from(other))).toBeUndefined();
  });
});
