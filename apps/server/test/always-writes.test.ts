import { describe, expect, it } from "vitest";
import { AlwaysWrites } from "../src/store/always-writes.js";
import type { LogEngine } from "../src/store/log-buffer.js";

/** An engine that records what each commit held and holds every fsync until told. */
function heldEngine() {
  const commits: string[][] = [];
  const syncs: Array<{ covers: number; finish: () => void; fail: (err: unknown) => void }> = [];
  const failures: unknown[] = [];
  const engine: LogEngine = {
    commit: (drain) => {
      const keys: string[] = [];
      drain((w) => void keys.push(w.bytes.toString("latin1", w.keyStart, w.keyEnd)));
      commits.push(keys);
    },
    syncDisk: () =>
      new Promise<void>((resolve, reject) => {
        syncs.push({ covers: commits.length, finish: resolve, fail: reject });
      }),
    fail: (err) => void failures.push(err),
  };
  return { engine, commits, syncs, failures };
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

describe("AlwaysWrites (--fsync always)", () => {
  it("resolves a write's sync() only once an fsync that began after its commit has finished", async () => {
    const held = heldEngine();
    const writes = new AlwaysWrites(held.engine);
    expect(writes.sync()).toBeUndefined(); // nothing written
    writes.write(0, Buffer.from("a"), Buffer.from("v"));
    const first = writes.sync()!;
    await turn(); // the turn's commit, then its fsync
    expect(held.commits).toEqual([["a"]]);
    expect(held.syncs).toHaveLength(1);
    expect(await settled(first)).toBe(false); // committed, not yet on disk

    // Written while that fsync runs: committed at once, but waits for the next fsync.
    writes.write(0, Buffer.from("b"), Buffer.from("v"));
    writes.write(0, Buffer.from("c"), undefined);
    const second = writes.sync()!;
    await turn();
    expect(held.commits).toEqual([["a"], ["b", "c"]]);
    expect(held.syncs).toHaveLength(1); // one fsync at a time
    held.syncs[0]!.finish();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false); // the first fsync began before b and c were committed
    expect(held.syncs).toHaveLength(2);
    expect(held.syncs[1]!.covers).toBe(2);
    held.syncs[1]!.finish();
    expect(await settled(second)).toBe(true);
    expect(writes.sync()).toBeUndefined(); // everything durable
    await writes.close();
  });

  it("rejects the writes an fsync failed for, and tells the store", async () => {
    const held = heldEngine();
    const writes = new AlwaysWrites(held.engine);
    writes.write(0, Buffer.from("a"), Buffer.from("v"));
    const pending = writes.sync()!;
    await turn();
    held.syncs[0]!.fail(new Error("EIO"));
    await expect(pending).rejects.toThrow("EIO");
    expect(held.failures).toEqual([new Error("EIO")]);
  });

  it("close() commits what is left and waits for its fsync", async () => {
    const held = heldEngine();
    const writes = new AlwaysWrites(held.engine);
    writes.writeValue("k", "v", 1, undefined);
    const closed = writes.close();
    expect(held.commits).toHaveLength(1);
    expect(await settled(closed)).toBe(false);
    held.syncs[0]!.finish();
    await closed;
    await turn();
    expect(held.commits).toHaveLength(1); // the commit queued for the turn found nothing to do
  });
});
