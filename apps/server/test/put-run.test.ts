import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogBuffer } from "../src/store/log-buffer.js";
import { layPutRun, visitPutRun } from "../src/store/put-run.js";
import { RecordFormatError } from "../src/store/record.js";
import { FRAME_START, type LoggedWrite, PUT_RUN_TABLE, visitWrites } from "../src/store/write-log-frames.js";

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: fc.constantFrom("a", "é", "\u{1f600}", "\ud800", "\udc00", "\u0000"), maxLength: 30 }),
);

/** The writes of `buffer`'s open frame. */
function writesOf(buffer: LogBuffer): LoggedWrite[] {
  const frame = buffer.openFrame()!;
  const writes: LoggedWrite[] = [];
  expect(visitWrites(frame, FRAME_START, frame.length, (w) => writes.push(w))).toBe(true);
  return writes;
}

describe("a BATCH's PUTs laid as one put run", () => {
  it("read back as exactly the keys, values and versions laid, in order, whatever their chars", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text, fc.double({ min: 0, max: 2 ** 53, noNaN: true })), { maxLength: 40 }),
        fc.nat(),
        (puts, cut) => {
          const buffer = new LogBuffer();
          buffer.appendValue("before", "x", 1, undefined); // runs sit among other writes
          const columns = {
            keys: puts.map(([k]) => k),
            values: puts.map(([, v]) => v),
            versions: puts.map(([, , version]) => version),
          };
          // In two runs, as a large BATCH is laid: [0, at) and [at, n).
          const at = cut % (puts.length + 1);
          layPutRun(buffer, { ...columns, from: 0, to: at });
          layPutRun(buffer, { ...columns, from: at, to: puts.length });
          const [, ...runs] = writesOf(buffer);
          const read: Array<[string, string, number]> = [];
          for (const run of runs) {
            expect([run.table, run.key.length]).toEqual([PUT_RUN_TABLE, 0]);
            visitPutRun(run.record!, (key, value, version) => read.push([key, value, version]));
          }
          expect(read).toEqual(puts);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("refuses a run whose lengths do not add up", () => {
    const buffer = new LogBuffer();
    layPutRun(buffer, { keys: ["k1", "k2"], values: ["v1", "v2"], versions: [1, 2], from: 0, to: 2 });
    const record = Buffer.from(writesOf(buffer)[0]!.record!);
    expect(() => visitPutRun(record.subarray(0, record.length - 1), () => {})).toThrow(RecordFormatError);
    record.writeUInt32LE(3, 5 + 16); // the first key's length
    expect(() => visitPutRun(record, () => {})).toThrow(RecordFormatError);
  });
});
