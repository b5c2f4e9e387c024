import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { BatchWrites } from "../src/store/batch-writes.js";
import type { LogEngine } from "../src/store/log-buffer.js";
import { WriteLog } from "../src/store/write-log.js";

const root = mkdtempSync(join(tmpdir(), "zkv-batch-writes-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

/** An engine whose commits are done when they return and whose disk sync waits until told. */
function engineWithHeldSync() {
  const applied: string[] = [];
  let finishSync: () => void = () => {};
  let syncs = 0;
  const engine: LogEngine = {
    commit: (drain) => drain((w) => void applied.push(w.bytes.toString("latin1", w.keyStart, w.keyEnd))),
    syncDisk: () => {
      syncs++;
      return new Promise<void>((resolve) => {
        finishSync = resolve;
      });
    },
    fail: (err) => {
      throw err;
    },
  };
  return { engine, applied, syncs: () => syncs, finishSync: () => finishSync() };
}

describe("BatchWrites (--fsync batch)", () => {
  it("keeps the log's writes until LMDB's commit of them is fsynced, not merely committed", async () => {
    vi.useFakeTimers();
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")));
    const release = vi.spyOn(log, "release");
    const held = engineWithHeldSync();
    const batch = new BatchWrites(log, held.engine);
    for (const key of ["a", "b", "c"]) batch.write(0, Buffer.from(key), Buffer.from("v"));
    batch.flush();
    await vi.advanceTimersByTimeAsync(100); // past the commit interval: LMDB has the writes
    expect(held.applied).toEqual(["a", "b", "c"]);
    expect(held.syncs()).toBe(1);
    // Committed but not on disk: an OS crash now would lose them from LMDB, so the log keeps them.
    expect(release).not.toHaveBeenCalled();
    held.finishSync();
    await vi.advanceTimersByTimeAsync(0);
    expect(release).toHaveBeenCalledWith(log.flushed);
    log.close();
  });

  it("keeps the log's writes, to be replayed, when LMDB's commit of them fails, and says so", async () => {
    vi.useFakeTimers();
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const failures: unknown[] = [];
    const batch = new BatchWrites(log, {
      commit: () => {
        throw new Error("MDB_MAP_FULL");
      },
      syncDisk: () => Promise.resolve(),
      fail: (err) => void failures.push(err),
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
