import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { BatchWrites, type LogEngine } from "../src/store/batch-writes.js";
import { WriteLog } from "../src/store/write-log.js";
import { type LoggedBytes, visitFrames } from "../src/store/write-log-frames.js";

const root = mkdtempSync(join(tmpdir(), "zkv-batch-writes-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

/** The keys (latin1) of the writes in some frames. */
function keysOf(frames: Buffer): string[] {
  const keys: string[] = [];
  const at: LoggedBytes = { bytes: frames, table: 0, keyStart: 0, keyEnd: 0, recordStart: 0, recordEnd: 0 };
  visitFrames(frames, 0, frames.length, at, (w) =>
    keys.push(w.bytes.toString("latin1", w.keyStart, w.keyEnd)),
  );
  return keys;
}

/** An engine that takes each commit's frames and settles it only when told. */
function engineWithHeldCommits() {
  const commits: Array<{ keys: string[]; applied: number; done: () => void; failed: (err: Error) => void }> =
    [];
  const engine: LogEngine = {
    commit: (frames, applied) =>
      new Promise<void>((done, failed) => commits.push({ keys: keysOf(frames), applied, done, failed })),
    fail: (err) => {
      throw err;
    },
    close: () => Promise.resolve(),
  };
  return { engine, commits };
}

describe("BatchWrites (--fsync batch)", () => {
  it("keeps the log's writes until the engine says their commit is on disk", async () => {
    vi.useFakeTimers();
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")));
    const release = vi.spyOn(log, "release");
    const held = engineWithHeldCommits();
    const batch = new BatchWrites(log, held.engine);
    for (const key of ["a", "b", "c"]) batch.write(0, Buffer.from(key), Buffer.from("v"));
    batch.flush();
    await vi.advanceTimersByTimeAsync(100); // past the commit interval: the engine has the writes
    expect(held.commits.map((c) => c.keys)).toEqual([["a", "b", "c"]]);
    // Asked for but not on disk: an OS crash now would lose them from LMDB, so the log keeps them.
    expect(release).not.toHaveBeenCalled();
    held.commits[0]!.done();
    await vi.advanceTimersByTimeAsync(0);
    expect(release).toHaveBeenCalledWith(log.flushed);
    log.close();
  });

  it("runs one commit at a time: writes logged during one go in the next, once it is on disk", async () => {
    vi.useFakeTimers();
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")));
    const release = vi.spyOn(log, "release");
    const held = engineWithHeldCommits();
    const batch = new BatchWrites(log, held.engine);
    batch.write(0, Buffer.from("a"), Buffer.from("v"));
    await vi.advanceTimersByTimeAsync(100);
    const first = log.flushed;
    for (const key of ["b", "c"]) batch.write(0, Buffer.from(key), Buffer.from("v"));
    batch.flush();
    await vi.advanceTimersByTimeAsync(1000); // a slow disk: the first commit is still under way
    expect(held.commits.map((c) => c.keys)).toEqual([["a"]]);
    held.commits[0]!.done();
    await vi.advanceTimersByTimeAsync(100);
    expect(release).toHaveBeenLastCalledWith(first);
    expect(held.commits.map((c) => c.keys)).toEqual([["a"], ["b", "c"]]);
    held.commits[1]!.done();
    await vi.advanceTimersByTimeAsync(0);
    expect(release).toHaveBeenLastCalledWith(log.flushed);
    log.close();
  });

  it("holds replies back while LMDB is far behind the log, and lets them go once it has caught up", async () => {
    vi.useFakeTimers();
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")));
    const held = engineWithHeldCommits();
    const batch = new BatchWrites(log, held.engine, true, 1000); // a backlog of 1000 bytes at most
    const value = Buffer.alloc(100, "v");
    batch.write(0, Buffer.from("small"), value);
    batch.flush();
    expect(batch.room()).toBeUndefined(); // well under the bound: nothing waits
    for (let i = 0; i < 20; i++) batch.write(0, Buffer.from(`k${i}`), value);
    batch.flush();
    await vi.advanceTimersByTimeAsync(100); // the commit is under way, and the disk is slow
    let roomy = false;
    void batch.room()?.then(() => {
      roomy = true;
    });
    for (let i = 20; i < 40; i++) batch.write(0, Buffer.from(`k${i}`), value);
    batch.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(roomy).toBe(false);
    held.commits[0]!.done(); // what the first commit took is on disk, but not what came since
    await vi.advanceTimersByTimeAsync(100);
    expect(roomy).toBe(false);
    expect(held.commits).toHaveLength(2);
    held.commits[1]!.done();
    await vi.advanceTimersByTimeAsync(0);
    expect(roomy).toBe(true);
    expect(batch.room()).toBeUndefined();
    log.close();
  });

  it("keeps the log's writes, to be replayed, when LMDB's commit of them fails, and says so", async () => {
    vi.useFakeTimers();
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const failures: unknown[] = [];
    const batch = new BatchWrites(log, {
      commit: () => Promise.reject(new Error("MDB_MAP_FULL")),
      fail: (err) => void failures.push(err),
      close: () => Promise.resolve(),
    });
    batch.write(0, Buffer.from("a"), Buffer.from("v"));
    batch.flush();
    await vi.advanceTimersByTimeAsync(100);
    expect(failures).toEqual([new Error("MDB_MAP_FULL")]);
    await batch.close(() => failures.length > 0);
    const reopened = WriteLog.open(dir);
    reopened.log.close();
    expect(reopened.writes).toEqual([{ table: 0, key: Buffer.from("a"), record: Buffer.from("v") }]);
  });
});
