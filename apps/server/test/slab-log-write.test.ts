import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogBuffer } from "../src/store/log-buffer.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { copyAsLogWrite, recordKey, recordValue } from "../src/store/slab-log-write.js";
import { FRAME_START } from "../src/store/write-log-frames.js";

/** A frame's writes, as bytes (its header, not filled in yet, left out): what a snapshot holds of them. */
function laid(fill: (buffer: LogBuffer) => void): Buffer {
  const buffer = new LogBuffer();
  fill(buffer);
  return Buffer.from(buffer.openFrame()?.subarray(FRAME_START) ?? Buffer.alloc(0));
}

describe("a snapshot's entry copied from its slab record", () => {
  it("is the very bytes the log lays for the same key, value and version, or is declined", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.string({ unit: fc.constantFrom("a", "é", "\u{1f600}", "\ud800"), maxLength: 40 }),
      fc.constant("k".repeat(990)), // an encoded key of 1,981 bytes: too long for the `data` table
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 20 }),
        fc.double({ min: 0, max: 2 ** 52, noNaN: true }),
        (pairs, version) => {
          const store = new MemoryStore();
          for (const [key, value] of pairs) store.put(key, value, undefined, version);
          store.visitRecords(0, 1000, (chunk, offset, v) => {
            const key = recordKey(chunk, offset);
            const value = recordValue(chunk, offset);
            expect(store.get(key)).toBe(value);
            const copied = laid((buffer) => copyAsLogWrite(buffer, chunk, offset, v) || undefined);
            const ascii = [...value].every((c) => c.charCodeAt(0) < 0x80);
            if (!ascii || key.length > 988) expect(copied.length).toBe(0);
            else expect(copied).toEqual(laid((buffer) => buffer.appendValue(key, value, v, undefined)));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
