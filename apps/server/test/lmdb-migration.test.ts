import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hintRowKey } from "../src/store/hint-set.js";
import { DataDirError, DurableStore } from "../src/store/index.js";
import { LmdbTables, openEnvironment } from "../src/store/lmdb-tables.js";
import { encodeKey, encodeLongEntry, encodeTombstone, encodeValue, longKey } from "../src/store/record.js";
import { WriteLog } from "../src/store/write-log.js";
import { DATA_TABLE, HINTS_TABLE, LONG_TABLE } from "../src/store/write-log-frames.js";

const root = mkdtempSync(join(tmpdir(), "zkv-lmdb-migration-test-"));
let dirs = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const LONG = "l".repeat(1500);
const later = Date.now() + 3_600_000;

/**
 * A data dir as a node of the LMDB engine left it: entries committed to LMDB (a value, one that
 * expires, a tombstone, a long key, a hint), and, past LMDB's mark, frames of its write-ahead log
 * that it had not committed yet (an overwrite and a new key) when the process stopped.
 */
async function lmdbDir(format = 1): Promise<string> {
  const dir = join(root, String(dirs++));
  mkdirSync(dir);
  const env = openEnvironment(dir, false);
  const tables = new LmdbTables(env);
  const meta = env.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
  await meta.put(Buffer.from("format"), Buffer.from([format]));
  await tables.write(DATA_TABLE, encodeKey("a"), encodeValue("1", 5));
  await tables.write(DATA_TABLE, encodeKey("b"), encodeValue("2", 6, later));
  await tables.write(DATA_TABLE, encodeKey("gone"), encodeTombstone(7));
  const long = encodeKey(LONG);
  await tables.write(LONG_TABLE, longKey(long), encodeLongEntry(long, encodeValue("long", 8)));
  await tables.write(HINTS_TABLE, hintRowKey("node-2", encodeKey("a")), encodeKey("a"));
  await env.close();
  const { log } = WriteLog.open(dir, { applied: 0, generation: 1 });
  log.append(DATA_TABLE, encodeKey("a"), encodeValue("1 again", 9));
  log.append(DATA_TABLE, encodeKey("c"), encodeValue("3", 10));
  log.flush();
  log.close();
  return dir;
}

describe("a data dir of the LMDB engine", () => {
  it("is turned into a snapshot at its first open: every entry, version, expiry, tombstone and hint kept", async () => {
    const dir = await lmdbDir();
    for (let open = 0; open < 2; open++) {
      const store = await DurableStore.open({ dir, fsync: "batch" });
      try {
        expect(store.entry("a")).toEqual({ value: "1 again", version: 9 });
        expect(store.entry("b")).toEqual({ value: "2", version: 6, expiresAt: later });
        expect(store.copy("gone")).toEqual({ value: undefined, version: 7 });
        expect(store.entry(LONG)).toEqual({ value: "long", version: 8 });
        expect(store.get("c")).toBe("3");
        expect(store.size).toBe(4);
        expect(store.hintLog().load()).toEqual(new Map([["node-2", new Set(["a"])]]));
      } finally {
        await store.close();
      }
      expect(existsSync(join(dir, "data.mdb"))).toBe(false);
      expect(readdirSync(dir)).toContain("snapshot");
    }
  });

  it("interrupted after its snapshot was in place, the next open only removes LMDB's files", async () => {
    const dir = await lmdbDir();
    const lmdbCopy = join(root, `lmdb-${dirs++}`);
    cpSync(join(dir, "data.mdb"), lmdbCopy);
    const store = await DurableStore.open({ dir, fsync: "batch" });
    store.put("a", "after the migration");
    await store.close();
    cpSync(lmdbCopy, join(dir, "data.mdb")); // as a crash before the removal would leave it
    const again = await DurableStore.open({ dir, fsync: "batch" });
    try {
      expect(again.get("a")).toBe("after the migration");
      expect(again.get("c")).toBe("3");
    } finally {
      await again.close();
    }
    expect(existsSync(join(dir, "data.mdb"))).toBe(false);
  });

  it("of a record format this node does not know is refused, and left as it is", async () => {
    const dir = await lmdbDir(2);
    const failure = await DurableStore.open({ dir, fsync: "batch" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataDirError);
    expect((failure as Error).message).toMatch(/record format 2/);
    expect(existsSync(join(dir, "data.mdb"))).toBe(true);
    expect(existsSync(join(dir, "snapshot"))).toBe(false);
  });
});
