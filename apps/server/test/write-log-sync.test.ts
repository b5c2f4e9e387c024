import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WriteLog } from "../src/store/write-log.js";

/** node:fs with fdatasync recorded (and failed when told): which file descriptors each call synced. */
const synced = vi.hoisted(() => ({ fds: [] as number[], fail: undefined as Error | undefined }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    fdatasync: (fd: number, done: (err: Error | null) => void) => {
      synced.fds.push(fd);
      fs.fdatasync(fd, (err) => done(err ?? synced.fail ?? null));
    },
  };
});

const root = mkdtempSync(join(tmpdir(), "zkv-write-log-sync-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  synced.fds = [];
  synced.fail = undefined;
});

const put = (log: WriteLog, key: string, bytes = 1) => log.append(0, Buffer.from(key), Buffer.alloc(bytes));

describe("WriteLog.syncFiles (--fsync always)", () => {
  it("fdatasyncs every file written since the last call, the one rotated away from included", async () => {
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")), { rotateBytes: 64 });
    await log.syncFiles();
    expect(synced.fds).toEqual([]); // nothing written
    put(log, "a");
    log.flush();
    await log.syncFiles();
    expect(synced.fds).toHaveLength(1);
    const first = synced.fds[0]!;
    synced.fds = [];
    await log.syncFiles();
    expect(synced.fds).toEqual([]); // nothing new
    put(log, "b", 100);
    log.flush(); // to the same file, now past its size
    put(log, "c");
    log.flush(); // to the other file, which is empty
    await log.syncFiles();
    expect(synced.fds).toHaveLength(2); // both hold writes made since the last fsync
    expect(synced.fds).toContain(first);
    log.close();
  });

  it("rejects when an fdatasync fails", async () => {
    const { log } = WriteLog.open(mkdtempSync(join(root, "run-")));
    put(log, "a");
    log.flush();
    synced.fail = new Error("EIO");
    await expect(log.syncFiles()).rejects.toThrow("EIO");
    log.close();
  });
});
