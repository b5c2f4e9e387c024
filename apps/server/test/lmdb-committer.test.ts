import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StoreCommitError } from "../src/store/errors.js";
import { LmdbCommitter } from "../src/store/lmdb-committer.js";
import { openEnvironment, readLogMarks } from "../src/store/lmdb-tables.js";
import { WriteLog } from "../src/store/write-log.js";
import { DATA_TABLE } from "../src/store/write-log-frames.js";

const root = mkdtempSync(join(tmpdir(), "zkv-lmdb-committer-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Frames of a write-ahead log in `dir` holding `writes` (key and value as latin1), one flush each call. */
function framesOf(log: WriteLog, writes: Array<[string, string | undefined]>): Buffer {
  for (const [key, value] of writes)
    log.append(
      DATA_TABLE,
      Buffer.from(key, "latin1"),
      value === undefined ? undefined : Buffer.from(value, "latin1"),
    );
  log.flush();
  return log.take()!;
}

/** What the `data` table holds, and the log mark LMDB recorded, read with a handle of this thread's. */
async function readBack(dir: string) {
  const env = openEnvironment(dir, false);
  const data = env.openDB<Buffer, Buffer>({ name: "data", keyEncoding: "binary", encoding: "binary" });
  const rows = [...data.getRange({})].map(({ key, value }) => [
    key.toString("latin1"),
    value.toString("latin1"),
  ]);
  const { applied } = readLogMarks(env);
  await env.close();
  return { rows, applied };
}

describe("LmdbCommitter: the write-ahead log's commits to LMDB, on a thread of its own", () => {
  it("commits frames in the order asked, with the log's mark, durable once each resolves", async () => {
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const committer = new LmdbCommitter(dir, () => {});
    const first = committer.commit(
      framesOf(log, [
        ["a", "1"],
        ["b", "1"],
      ]),
      1,
    );
    const second = committer.commit(
      framesOf(log, [
        ["a", "2"],
        ["b", undefined],
        ["c", "2"],
      ]),
      2,
    );
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await committer.close();
    log.close();
    expect(await readBack(dir)).toEqual({
      rows: [
        ["a", "2"],
        ["c", "2"],
      ],
      applied: 2,
    });
  });

  it("refuses the commit LMDB refuses, and every one after it, with LMDB's reason", async () => {
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const committer = new LmdbCommitter(dir, () => {});
    await committer.commit(framesOf(log, [["kept", "1"]]), 1);
    const tooLong = "k".repeat(5000); // past LMDB's largest key
    const refused = committer.commit(
      framesOf(log, [
        ["lost", "1"],
        [tooLong, "1"],
      ]),
      2,
    );
    await expect(refused).rejects.toBeInstanceOf(StoreCommitError);
    await expect(refused).rejects.toThrow(/key/i);
    await expect(committer.commit(framesOf(log, [["later", "1"]]), 3)).rejects.toBe(
      await refused.catch((err: unknown) => err),
    );
    await committer.close();
    log.close();
    // The failed transaction left nothing behind: LMDB is where the last good commit left it.
    expect(await readBack(dir)).toEqual({ rows: [["kept", "1"]], applied: 1 });
  });

  it("closes once, after the commits asked before, and refuses commits from then on", async () => {
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const committer = new LmdbCommitter(dir, () => {});
    const pending = committer.commit(framesOf(log, [["a", "1"]]), 1);
    await expect(Promise.all([committer.close(), committer.close()])).resolves.toEqual([
      undefined,
      undefined,
    ]);
    await expect(pending).resolves.toBeUndefined();
    await expect(committer.commit(framesOf(log, [["b", "1"]]), 2)).rejects.toBeInstanceOf(StoreCommitError);
    log.close();
    expect((await readBack(dir)).rows).toEqual([["a", "1"]]);
  });

  it("refuses every commit with STORE_COMMIT_FAILED when the worker cannot open LMDB", async () => {
    const dir = mkdtempSync(join(root, "run-"));
    const { log } = WriteLog.open(dir);
    const notADir = join(dir, "a-file");
    writeFileSync(notADir, "");
    const committer = new LmdbCommitter(notADir, () => {});
    const refused = committer.commit(framesOf(log, [["a", "1"]]), 1);
    await expect(refused).rejects.toBeInstanceOf(StoreCommitError);
    await expect(refused).rejects.toMatchObject({ code: "STORE_COMMIT_FAILED" });
    await committer.close();
    log.close();
  });
});
