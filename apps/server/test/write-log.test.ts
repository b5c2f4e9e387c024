import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { encodeKey, encodeValue } from "../src/store/record.js";
import { type LoggedWrite, WriteLog, type WriteLogOptions } from "../src/store/write-log.js";

const root = mkdtempSync(join(tmpdir(), "zkv-write-log-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const nextDir = () => mkdtempSync(join(root, "run-"));
/** The writes a log in `dir` gives back, its files closed again. */
const replayed = (dir: string, options?: WriteLogOptions) => {
  const { log, writes } = WriteLog.open(dir, options);
  log.close();
  return writes;
};

const write: fc.Arbitrary<LoggedWrite> = fc.record({
  table: fc.constantFrom(0, 1),
  key: fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b)),
  record: fc.option(
    fc.uint8Array({ minLength: 0, maxLength: 200 }).map((b) => Buffer.from(b)),
    { nil: undefined },
  ),
});

/** Writes in groups, each group one flush. */
const groups = fc.array(fc.array(write, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });

function logAll(dir: string, all: LoggedWrite[][], rotateBytes?: number): WriteLog {
  const { log } = WriteLog.open(dir, { rotateBytes });
  for (const group of all) {
    for (const w of group) log.append(w.table, w.key, w.record);
    log.flush();
  }
  return log;
}

describe("WriteLog", () => {
  it("gives back every flushed write, in order, and none appended after the last flush", () => {
    fc.assert(
      fc.property(groups, write, fc.integer({ min: 64, max: 4096 }), (all, unflushed, rotateBytes) => {
        const dir = nextDir();
        const log = logAll(dir, all, rotateBytes);
        log.append(unflushed.table, unflushed.key, unflushed.record); // in memory only: a crash loses it
        expect(replayed(dir, { rotateBytes })).toEqual(all.flat());
        log.close();
      }),
      { numRuns: 100 },
    );
  });

  it("stops at a torn or corrupt frame: what it gives back is always a prefix of what was written", () => {
    fc.assert(
      fc.property(groups, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (all, where, corrupt) => {
        const dir = nextDir();
        logAll(dir, all).close(); // one file: no rotation at the default size
        const file = join(dir, "wal-0.log");
        const size = readFileSync(file).length;
        const at = Math.floor(where * size);
        if (corrupt && at < size) {
          const bytes = readFileSync(file);
          bytes[at] = bytes[at]! ^ 0xff;
          writeFileSync(file, bytes);
        } else truncateSync(file, at);
        const back = replayed(dir);
        expect(back).toEqual(all.flat().slice(0, back.length));
        if (!corrupt || at >= size) expect(back.length).toBeLessThanOrEqual(all.flat().length);
      }),
      { numRuns: 200 },
    );
  });

  it("moves to the other file past its size, and writes a file from its start again once its writes are applied", () => {
    const dir = nextDir();
    const { log } = WriteLog.open(dir, { rotateBytes: 100 });
    const big = (n: number): LoggedWrite => ({
      table: 0,
      key: Buffer.from(`k${n}`),
      record: Buffer.alloc(120, n),
    });
    log.append(0, big(1).key, big(1).record);
    const first = log.flush(); // file 0 is now past 100 bytes
    log.append(0, big(2).key, big(2).record);
    const second = log.flush(); // file 1, since file 0 is full and file 1 free
    const past = (applied: number) => replayed(dir, { applied, rotateBytes: 100 });
    expect(past(0)).toEqual([big(1), big(2)]);
    log.release(first); // LMDB recorded `first` as applied, durably: file 0 is free
    expect(past(first)).toEqual([big(2)]);
    log.append(0, big(3).key, big(3).record);
    const third = log.flush(); // file 1 is full, file 0 free: back to file 0, from its start
    expect(readFileSync(join(dir, "wal-0.log")).readDoubleLE(8)).toBe(third); // over frame 1
    // Replayed oldest first across the two files.
    expect(past(first)).toEqual([big(2), big(3)]);
    expect(past(second)).toEqual([big(3)]);
    expect(past(third)).toEqual([]);
    log.close();
  });

  it("never replays a frame left from an earlier generation, even one numbered next", () => {
    const dir = nextDir();
    const one = (record: number): LoggedWrite => ({
      table: 0,
      key: Buffer.from("k"),
      record: Buffer.alloc(record, 1),
    });
    const first = WriteLog.open(dir, { generation: 1 }).log;
    for (let i = 0; i < 5; i++) {
      first.append(0, one(10).key, one(10).record);
      first.flush(); // frames 1..5, 44 bytes each
    }
    first.close();
    const file = join(dir, "wal-0.log");
    const bytes = readFileSync(file);
    bytes[2 * 44 + 30] = bytes[2 * 44 + 30]! ^ 0xff; // frame 3 corrupt (an OS crash tore it): 1 and 2 are replayed
    writeFileSync(file, bytes);
    const reopened = WriteLog.open(dir, { applied: 0, generation: 2 });
    expect(reopened.writes).toEqual([one(10), one(10)]);
    expect(reopened.log.flushed).toBe(2); // LMDB now records 2 as applied
    // Generation 2's frame 3 covers the old frames 1 to 3 exactly: the old frame 4 follows it.
    reopened.log.append(0, one(98).key, one(98).record);
    expect(reopened.log.flush()).toBe(3);
    reopened.log.close();
    expect(replayed(dir, { applied: 2 })).toEqual([one(98)]);
  });

  it("replays nothing past a lost flush, though later ones lie whole in the other file", () => {
    const dir = nextDir();
    const { log } = WriteLog.open(dir, { rotateBytes: 100 });
    for (const n of [1, 2, 3]) {
      log.append(0, Buffer.from(`k${n}`), Buffer.alloc(120, n));
      log.flush(); // frame 1 fills file 0; 2 and 3 go to file 1
    }
    log.close();
    expect(replayed(dir)).toHaveLength(3);
    const file = join(dir, "wal-0.log");
    const bytes = readFileSync(file);
    bytes[40] = bytes[40]! ^ 0xff; // an OS crash lost frame 1 (never fsynced under batch)
    writeFileSync(file, bytes);
    expect(replayed(dir)).toEqual([]); // a prefix of the writes, in order
  });

  it("gives back, after any run of flushes, applies, reopenings and releases, exactly the writes past the applied mark", () => {
    const step = fc.oneof(
      { weight: 4, arbitrary: fc.array(write, { minLength: 1, maxLength: 4 }).map((g) => ({ flush: g })) },
      { weight: 2, arbitrary: fc.constant("apply" as const) },
      { weight: 1, arbitrary: fc.constant("reopen" as const) },
    );
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 64, max: 1024 }),
        fc.boolean(),
        (steps, rotateBytes, preallocate) => {
          const dir = nextDir();
          let generation = 1;
          let applied = 0; // the snapshot's mark
          let log = WriteLog.open(dir, { generation, rotateBytes, preallocate }).log;
          const flushed: Array<{ flush: number; writes: LoggedWrite[] }> = [];
          const reopen = () => {
            log.close();
            const opened = WriteLog.open(dir, {
              applied,
              generation: ++generation,
              rotateBytes,
              preallocate,
            });
            expect(opened.writes).toEqual(flushed.filter((f) => f.flush > applied).flatMap((f) => f.writes));
            log = opened.log;
            applied = log.flushed; // the open's snapshot covers it all
          };
          for (const s of steps) {
            if (s === "reopen") reopen();
            else if (s === "apply") {
              applied = log.flushed; // a snapshot covering every flushed write is in place
              log.release(applied);
            } else {
              for (const w of s.flush) log.append(w.table, w.key, w.record);
              flushed.push({ flush: log.flush(), writes: s.flush });
            }
          }
          reopen();
          log.close();
        },
      ),
      { numRuns: 100 },
    );
  });

  it("logs a value appended as text as the bytes of its encoded key and record", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.double({ noNaN: true }), (key, value, version) => {
        const dir = nextDir();
        const { log } = WriteLog.open(dir);
        log.appendValue(key, value, version, undefined);
        log.appendValue(key, value, version, 1_700_000_000_000);
        log.flush();
        log.close();
        expect(replayed(dir)).toEqual([
          { table: 0, key: encodeKey(key), record: encodeValue(value, version) },
          { table: 0, key: encodeKey(key), record: encodeValue(value, version, 1_700_000_000_000) },
        ]);
      }),
      { numRuns: 50 },
    );
  });

  it("gives back every flushed write, in order, and none still unflushed, across the buffers it outgrows", () => {
    // A value of 350k chars may take 3 bytes a char, more room than the log's 1 MiB buffer has:
    // each one moves the log to a new buffer, mid-frame.
    const value = fc.oneof(
      { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constant("x".repeat(350_000)) },
    );
    const step = fc.oneof(
      write.map((w) => ({ append: w })),
      fc.tuple(fc.string({ maxLength: 20 }), value).map(([key, v]) => ({ appendValue: { key, value: v } })),
      fc.constant("flush" as const),
    );
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 40 }), (steps) => {
        const dir = nextDir();
        const { log } = WriteLog.open(dir);
        const unflushed: LoggedWrite[] = [];
        const flushed: LoggedWrite[] = [];
        for (const s of steps) {
          if (s === "flush") {
            log.flush();
            flushed.push(...unflushed.splice(0));
          } else if ("append" in s) {
            log.append(s.append.table, s.append.key, s.append.record);
            unflushed.push(s.append);
          } else {
            log.appendValue(s.appendValue.key, s.appendValue.value, 1, undefined);
            unflushed.push({
              table: 0,
              key: encodeKey(s.appendValue.key),
              record: encodeValue(s.appendValue.value, 1),
            });
          }
        }
        log.close();
        expect(replayed(dir).map(summary)).toEqual(flushed.map(summary));
      }),
      { numRuns: 30 },
    );
  });
});

/** A write in a few bytes, for comparing big ones quickly. */
function summary({ table, key, record }: LoggedWrite): string {
  const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
  return `${table} ${digest(key)} ${record === undefined ? "removal" : digest(record)}`;
}
