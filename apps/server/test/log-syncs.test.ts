import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LogSyncs } from "../src/store/log-syncs.js";
import { WriteLog } from "../src/store/write-log.js";

const root = mkdtempSync(join(tmpdir(), "zkv-log-syncs-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The keys a log's files hold, as the next open would replay them. */
function keysOnFile(dir: string): string[] {
  const { log, writes } = WriteLog.open(dir);
  log.close();
  return writes.map((w) => w.key.toString());
}

/**
 * A log whose fsyncs wait until told, each recording what the files held when it began (what
 * it makes durable), and a store that records failures the way a DurableStore does.
 */
function heldLog() {
  const dir = mkdtempSync(join(root, "run-"));
  const { log } = WriteLog.open(dir);
  const syncs: Array<{ covers: string[]; finish: () => void; fail: (err: unknown) => void }> = [];
  vi.spyOn(log, "syncFiles").mockImplementation(
    () =>
      new Promise<void>((resolve, reject) => {
        syncs.push({ covers: keysOnFile(dir), finish: resolve, fail: reject });
      }),
  );
  const store = { failure: undefined as unknown, failures: [] as unknown[] };
  let flushFails = false;
  const syncer = new LogSyncs(log, {
    flush: () => {
      if (!log.dirty || store.failure !== undefined) return;
      if (flushFails)
        store.failure = new Error("ENOSPC"); // what LogWriter.flush reports
      else log.flush();
    },
    failure: () => store.failure,
    fail: (err) => {
      store.failure ??= err;
      store.failures.push(err);
    },
  });
  const put = (key: string) => log.append(0, Buffer.from(key), Buffer.from("v"));
  return { log, syncer, syncs, store, put, failFlushes: () => (flushFails = true) };
}

const turn = () => new Promise((r) => setImmediate(r));
/** Whether a promise has settled, after the callbacks queued so far have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await turn();
  return done;
}

describe("LogSyncs (--fsync always)", () => {
  it("resolves a write's sync() only once an fsync that began with the write in the log has finished", async () => {
    const { log, syncer, syncs, put } = heldLog();
    expect(syncer.sync()).toBeUndefined(); // nothing written
    put("a");
    const first = syncer.sync()!;
    await turn(); // the end of the turn: one write() of the turn's writes, then their fsync
    expect(syncs.map((s) => s.covers)).toEqual([["a"]]);
    expect(await settled(first)).toBe(false); // in the OS, not yet on disk

    // Written while that fsync runs: they wait for the next one, which starts when it ends.
    put("b");
    const second = syncer.sync()!;
    put("c");
    expect(syncer.sync()).toBe(second); // one fsync for the whole turn
    await turn();
    expect(syncs).toHaveLength(1); // one fsync at a time
    syncs[0]!.finish();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    expect(syncs.map((s) => s.covers)).toEqual([["a"], ["a", "b", "c"]]);
    syncs[1]!.finish();
    expect(await settled(second)).toBe(true);
    expect(syncer.sync()).toBeUndefined(); // everything durable
    log.close();
  });

  it("has a write that is in the OS already wait for the fsync running if it covers it, else the next", async () => {
    const { log, syncer, syncs, put } = heldLog();
    put("a");
    const first = syncer.sync()!;
    await turn();
    expect(syncer.sync()).toBe(first); // nothing new: the running fsync covers it all
    put("b");
    log.flush(); // in the OS (a commit flushes too), but after the running fsync began
    const second = syncer.sync()!;
    expect(second).not.toBe(first);
    syncs[0]!.finish();
    await turn();
    expect(syncs.map((s) => s.covers)).toEqual([["a"], ["a", "b"]]);
    expect(await settled(second)).toBe(false);
    syncs[1]!.finish();
    await second;
    log.close();
  });

  it("rejects every write waiting on an fsync that failed, and tells the store", async () => {
    const { log, syncer, syncs, store, put } = heldLog();
    put("a");
    const running = syncer.sync()!;
    await turn();
    put("b");
    const next = syncer.sync()!;
    syncs[0]!.fail(new Error("EIO"));
    await expect(running).rejects.toThrow("EIO");
    await expect(next).rejects.toThrow("EIO"); // never acknowledged on a later fsync of the same file
    expect(store.failures).toEqual([new Error("EIO")]);
    expect(syncs).toHaveLength(1);
    log.close();
  });

  it("rejects the writes of a flush that failed, without an fsync", async () => {
    const { log, syncer, syncs, put, failFlushes } = heldLog();
    failFlushes();
    put("a");
    const pending = syncer.sync()!;
    await expect(pending).rejects.toThrow("ENOSPC");
    expect(syncs).toHaveLength(0);
    log.close();
  });

  it("close() fsyncs the writes still waiting and resolves once no fsync runs", async () => {
    const { log, syncer, syncs, put } = heldLog();
    put("a");
    const pending = syncer.sync()!;
    const closed = syncer.close();
    expect(syncs.map((s) => s.covers)).toEqual([["a"]]);
    expect(await settled(closed)).toBe(false);
    syncs[0]!.finish();
    await closed;
    await pending;
    await turn();
    expect(syncs).toHaveLength(1); // the fsync queued for the turn found nothing to do
    log.close();
  });
});
