import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogBuffer } from "../src/store/log-buffer.js";
import { MemoryStore } from "../src/store/memory-store.js";
import { RecordFormatError } from "../src/store/record.js";
import { SlabRunWriter, visitSlabRun } from "../src/store/slab-runs.js";
import { FRAME_START, type LoggedWrite, SLAB_RUN_TABLE, visitWrites } from "../src/store/write-log-frames.js";

/** Every write laid into `buffer`'s open frame. */
function writesOf(buffer: LogBuffer): LoggedWrite[] {
  const frame = buffer.openFrame();
  if (frame === undefined) return [];
  const writes: LoggedWrite[] = [];
  expect(visitWrites(frame, FRAME_START, frame.length, (w) => writes.push(w))).toBe(true);
  return writes;
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: fc.constantFrom("a", "é", "\u{1f600}", "\ud800"), maxLength: 40 }),
  fc.constant("v".repeat(70_000)), // runs are cut at 128 KiB
);

describe("a snapshot's entries laid as runs of slab records", () => {
  it("read back as exactly the store's entries and versions, whatever was overwritten or deleted", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.option(text, { nil: undefined })), {
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 64 }),
        (writes, slice) => {
          const store = new MemoryStore({ now: () => 1_700_000_000_000 });
          for (const [key, value] of writes) {
            if (value === undefined) store.delete(key);
            else store.put(key, value);
          }
          const buffer = new LogBuffer();
          // In slices, as a snapshot goes: each ends with a flush.
          for (let from = 0; from >= 0; ) {
            const runs = new SlabRunWriter(buffer);
            from = store.visitRecords(from, slice, (chunk, offset, version) =>
              runs.add(chunk, offset, version),
            );
            runs.flush();
          }
          const read = new Map<string, { value: string; version: number }>();
          for (const w of writesOf(buffer)) {
            expect([w.table, w.key.length]).toEqual([SLAB_RUN_TABLE, 0]);
            visitSlabRun(w.record!, (key, value, version) => {
              expect(read.has(key)).toBe(false);
              read.set(key, { value, version });
            });
          }
          expect(read.size).toBe(store.size);
          for (const [key, got] of read) expect(store.copy(key)).toEqual(got);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lays entries loaded in order as few runs, and cuts a run that does not add up", () => {
    const store = new MemoryStore();
    for (let i = 0; i < 1000; i++) store.put(`key:${i}`, "x".repeat(100));
    const buffer = new LogBuffer();
    const runs = new SlabRunWriter(buffer);
    store.visitRecords(0, 1000, (chunk, offset, version) => runs.add(chunk, offset, version));
    runs.flush();
    const writes = writesOf(buffer);
    expect(writes.length).toBeLessThanOrEqual(3); // chunk boundaries cut runs, nothing else here
    const record = Buffer.from(writes[0]!.record!);
    record.writeUInt32LE(
      record.readUInt32LE(4 + 8 * record.readUInt32LE(0) + 12) + 4,
      4 + 8 * record.readUInt32LE(0) + 12,
    );
    expect(() => visitSlabRun(record, () => {})).toThrow(RecordFormatError);
    expect(() => visitSlabRun(record.subarray(0, record.length - 1), () => {})).toThrow(RecordFormatError);
  });
});
