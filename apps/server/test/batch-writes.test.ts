import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { type BatchEngine, BatchWrites, type Commit } from "../src/store/batch-writes.js";
import { WriteLog } from "../src/store/write-log.js";

const root = mkdtempSync(join(tmpdir(), "zkv-batch-writes-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

/** An engine whose commits resolve at once and whose disk sync waits until told. */
function engineWithHeldSync() {
  const applied: string[] = [];
  let finishSync: () => void = () => {};
  let syncs = 0;
  const engine: BatchEngine = {
    write: (_table, key) => void applied.push(key.toString()),
    lastCommit: () => Promise.resolve(true) as Commit,
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
    log.shut();
  });
});
