import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BackupFormatError,
  type ExportedEntry,
  exportEntryLine,
  exportHeaderLine,
} from "../src/backup/format.js";
import { readAll } from "./support/backup-files.js";

const entryArb: fc.Arbitrary<ExportedEntry> = fc
  .record({
    key: fc.string({ unit: "binary" }),
    value: fc.string({ unit: "binary" }),
    version: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    expiresAt: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
  })
  .map(({ expiresAt, ...rest }) => (expiresAt === undefined ? rest : { ...rest, expiresAt }));

describe("the backup format", () => {
  it("round-trips any entries, one line each after a header that says format 2 (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0 }), fc.array(entryArb, { maxLength: 5 }), (exportedAt, entries) => {
        const lines = [exportHeaderLine(exportedAt), ...entries.map(exportEntryLine)];
        for (const line of lines) expect(line.indexOf("\n")).toBe(line.length - 1);
        const { reader, items } = readAll(lines.join(""));
        expect(reader.format).toBe(2);
        expect(items).toEqual(entries.map((entry) => ({ format: 2, entry })));
      }),
    );
  });

  it("reads a file without a header as format 1, values only", () => {
    const { reader, items } = readAll('{"key":"a","value":"1"}\n\n{"key":"b","value":"2","version":5}\n');
    expect(reader.format).toBe(1);
    expect(items).toEqual([
      { format: 1, entry: { key: "a", value: "1" } },
      { format: 1, entry: { key: "b", value: "2" } },
    ]);
  });

  it("names the line that does not fit its format", () => {
    const header = exportHeaderLine(1).trimEnd();
    const cases: Array<[string, RegExp]> = [
      ["{", /^line 1: not JSON/],
      ["[]", /^line 1: expected an object/],
      ['{"key":1,"value":"v"}', /^line 1: "key" must be a string/],
      ['{"key":"k"}', /^line 1: "value" must be a string/],
      [`${header}\n{"key":"k","value":"v"}`, /^line 2: "version" must be an integer/],
      [`${header}\n{"key":"k","value":"v","version":1,"expiresAt":-5}`, /^line 2: "expiresAt"/],
      [`${header}\n${header}`, /^line 2: a header belongs on the first line only/],
      ['{"zkv":"export","format":3}', /^line 1: format 3 was written by a newer zkv/],
      ['{"zkv":"import","format":2}', /^line 1: a header says "zkv":"export"/],
    ];
    for (const [text, message] of cases) {
      expect(() => readAll(text)).toThrow(BackupFormatError);
      expect(() => readAll(text)).toThrow(message);
    }
  });
});
