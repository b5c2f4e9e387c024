import { describe, expect, it } from "vitest";
import { type AlwaysEngine, AlwaysWrites } from "../src/store/always-writes.js";

/** An engine that records what each durable commit held, and fails the next one when told. */
function recordingEngine() {
  const commits: string[][] = [];
  const failures: unknown[] = [];
  let failNext: Error | undefined;
  const engine: AlwaysEngine = {
    commitDurably: (drain) => {
      const keys: string[] = [];
      drain((w) => void keys.push(w.bytes.toString("latin1", w.keyStart, w.keyEnd)));
      const err = failNext;
      failNext = undefined;
      if (err) throw err;
      commits.push(keys);
    },
    fail: (err) => void failures.push(err),
  };
  return { engine, commits, failures, failNextCommit: (err: Error) => (failNext = err) };
}

const turn = () => new Promise((r) => setImmediate(r));
/** Whether a promise has settled, after the callbacks queued so far have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

describe("AlwaysWrites (--fsync always)", () => {
  it("resolves a turn's sync() once the one durable commit of its writes has returned", async () => {
    const rec = recordingEngine();
    const writes = new AlwaysWrites(rec.engine);
    expect(writes.sync()).toBeUndefined(); // nothing written
    writes.write(0, Buffer.from("a"), Buffer.from("v"));
    const first = writes.sync()!;
    writes.write(0, Buffer.from("b"), undefined);
    const second = writes.sync()!;
    expect(second).toBe(first); // the turn's writes are one group
    expect(rec.commits).toEqual([]);
    expect(await settled(first)).toBe(false); // not committed, so not on disk either
    await turn(); // the turn's commit
    expect(rec.commits).toEqual([["a", "b"]]);
    expect(await settled(first)).toBe(true);
    expect(writes.sync()).toBeUndefined(); // everything durable

    writes.write(0, Buffer.from("c"), Buffer.from("v"));
    const third = writes.sync()!;
    expect(third).not.toBe(first); // a later turn's writes wait for a commit of their own
    await turn();
    expect(rec.commits).toEqual([["a", "b"], ["c"]]);
    await expect(third).resolves.toBeUndefined();
    await writes.close();
  });

  it("rejects the writes a commit failed for and tells the store; later writes commit again", async () => {
    const rec = recordingEngine();
    const writes = new AlwaysWrites(rec.engine);
    writes.write(0, Buffer.from("a"), Buffer.from("v"));
    const pending = writes.sync()!;
    rec.failNextCommit(new Error("EIO"));
    await turn();
    await expect(pending).rejects.toThrow("EIO");
    expect(rec.failures).toEqual([new Error("EIO")]);
    expect(rec.commits).toEqual([]);

    writes.write(0, Buffer.from("b"), Buffer.from("v"));
    const next = writes.sync()!;
    await turn();
    await expect(next).resolves.toBeUndefined();
    expect(rec.commits).toEqual([["b"]]);
  });

  it("commits a turn's writes nobody waits for, and a failure there ends nothing but the store's sync", async () => {
    const rec = recordingEngine();
    const writes = new AlwaysWrites(rec.engine);
    writes.write(0, Buffer.from("a"), undefined); // a background reclaim's removal: no sync()
    await turn();
    expect(rec.commits).toEqual([["a"]]);
    rec.failNextCommit(new Error("ENOSPC"));
    writes.write(0, Buffer.from("b"), undefined);
    await turn(); // no unhandled rejection: the failure goes to the store
    expect(rec.failures).toEqual([new Error("ENOSPC")]);
  });

  it("close() commits what is left before it resolves", async () => {
    const rec = recordingEngine();
    const writes = new AlwaysWrites(rec.engine);
    writes.writeValue("k", "v", 1, undefined);
    const pending = writes.sync()!;
    const closed = writes.close();
    expect(rec.commits).toHaveLength(1);
    await closed;
    await expect(pending).resolves.toBeUndefined();
    await turn();
    expect(rec.commits).toHaveLength(1); // the commit queued for the turn found nothing to do
  });
});
