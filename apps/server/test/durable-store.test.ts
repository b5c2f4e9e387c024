import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { DataDirError, DurableStore, type SyncPolicy } from "../src/store/index.js";
import { bytesOf } from "./helpers.js";

const CRASH_AFTER_SYNC = fileURLToPath(new URL("./support/crash-after-sync.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "zkv-durable-test-"));
let dirs = 0;
const nextDir = () => join(root, String(dirs++));
const opened: DurableStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function open(dir: string, fsync: SyncPolicy = "batch"): Promise<DurableStore> {
  const store = await DurableStore.open({ dir, fsync });
  opened.push(store);
  return store;
}

describe("DurableStore restart", () => {
  // Each phase's writes, then a close and an open; the open snapshots what it replayed, so a
  // later phase's writes land on a snapshot (the path of a deleted key that came back, 9fca981).
  it("reopens with the same entries, size and bytes after random writes and restarts (long keys included)", async () => {
    const key = fc.oneof(
      fc.string({ unit: fc.constantFrom("a", "b", "é", "\u{1f600}", "\ud800"), maxLength: 3 }),
      fc.constantFrom("k".repeat(1000), "k".repeat(4096), `${"\u{1f600}".repeat(1000)}x`),
    );
    const write = fc.oneof(
      fc.tuple(key, fc.string()),
      key.map((k) => [k, undefined] as const),
    );
    const phases = fc.array(fc.array(write, { maxLength: 30 }), { minLength: 1, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(phases, async (writesByPhase) => {
        const dir = nextDir();
        const model = new Map<string, string>();
        for (const writes of writesByPhase) {
          const store = await DurableStore.open({ dir, fsync: "batch" });
          for (const [k, v] of writes) {
            if (v === undefined) {
              expect(store.delete(k)).toBe(model.delete(k));
            } else {
              store.put(k, v);
              model.set(k, v);
            }
          }
          await store.close();
          const again = await DurableStore.open({ dir, fsync: "batch" });
          expect(Object.fromEntries([...again.scan(undefined)].map((e) => [e.key, e.value]))).toEqual(
            Object.fromEntries(model),
          );
          expect(again.size).toBe(model.size);
          expect(again.bytes).toBe(bytesOf(model));
          await again.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("DurableStore sync", () => {
  it("with always, sync() is a promise that resolves once written", async () => {
    const store = await open(nextDir(), "always");
    expect(store.sync()).toBeUndefined(); // nothing written yet
    store.put("k", "v");
    const pending = store.sync();
    expect(pending).toBeInstanceOf(Promise);
    await pending;
  });

  it.each([
    ["always", "put"],
    ["batch", "put"],
    ["always", "staged"],
    ["batch", "staged"],
  ] as const)(
    "with %s, a process killed the moment sync() says durable loses nothing (written by %s; staged: killed before the inserts)",
    async (policy, how) => {
      const dir = nextDir();
      const run = spawnSync(process.execPath, ["--import", "tsx", CRASH_AFTER_SYNC, dir, policy, "500", how]);
      expect(run.signal).toBe("SIGKILL");
      const again = await open(dir);
      expect(again.size).toBe(500);
      expect(again.get("k499")).toBe("v499");
      expect(again.hintLog().load().get("node-1")?.size).toBe(500);
    },
  );

  it("with batch, sync() commits what was written before it returns: nothing to wait for", async () => {
    const dir = nextDir();
    const store = await open(dir, "batch");
    store.put("k", "v");
    store.put("gone", "x");
    store.delete("gone");
    expect(store.sync()).toBeUndefined();
    await store.close();
    const again = await open(dir);
    expect([...again.scan(undefined)]).toEqual([expect.objectContaining({ key: "k", value: "v" })]);
  });

  it("with batch, what the log holds comes back whole: versions, expiries, tombstones", async () => {
    const dir = nextDir();
    const store = await open(dir, "batch");
    const later = Date.now() + 3_600_000;
    const entries = new Map<string, { value: string; version: number; expiresAt?: number }>();
    for (let i = 0; i < 300; i++) {
      const key = i % 3 === 0 ? `é-${i}` : `k${i}`;
      const value = `${"v".repeat(i)}\u{1f600}${i}`;
      const expiresAt = i % 2 === 0 ? later + i : undefined;
      const version = store.put(key, value, expiresAt);
      entries.set(key, { value, version, ...(expiresAt === undefined ? {} : { expiresAt }) });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50)); // past a commit window
    }
    // Copies from a replica: a deletion and a newer value, at versions above the keys' own.
    const gone = entries.get("k1")!.version + 1;
    const copied = entries.get("k2")!.version + 1;
    expect(store.apply("k1", { value: undefined, version: gone })).toBe(true);
    expect(store.apply("k2", { value: "copy", version: copied })).toBe(true);
    entries.delete("k1");
    entries.set("k2", { value: "copy", version: copied });
    await store.close();
    const again = await open(dir);
    expect(again.size).toBe(entries.size);
    for (const [key, entry] of entries) expect(again.entry(key)).toEqual(entry);
    expect(again.copy("k1")).toEqual({ value: undefined, version: gone });
  });

  it.each(["batch", "always", "off"] as const)(
    "with %s, the snapshot an open takes holds everything: the log can start over",
    async (policy) => {
      const dir = nextDir();
      const store = await open(dir, policy);
      for (let i = 0; i < 500; i++) {
        store.put(`k${i}`, `v${i}`);
        if (i % 100 === 99) await store.sync();
      }
      await store.close();
      await (await open(dir, policy)).close(); // replays the log, then snapshots it all
      // With the log gone, only the snapshot can have kept the writes.
      for (const file of ["wal-0.log", "wal-1.log"]) rmSync(join(dir, file), { force: true });
      const again = await open(dir);
      expect(again.size).toBe(500);
      expect(again.get("k0")).toBe("v0");
      expect(again.get("k499")).toBe("v499");
    },
  );

  it("with off, sync() never makes anyone wait", async () => {
    const store = await open(nextDir(), "off");
    store.put("k", "v");
    expect(store.sync()).toBeUndefined();
  });

  it("close() is idempotent: every call resolves once the writes are committed and the dir is free", async () => {
    const dir = nextDir();
    const store = await DurableStore.open({ dir, fsync: "off" }); // nothing waits for the disk but close
    store.put("k", "v");
    store.put("gone", "x");
    store.delete("gone");
    await expect(Promise.all([store.close(), store.close()])).resolves.toEqual([undefined, undefined]);
    await expect(store.close()).resolves.toBeUndefined();
    // The lock is released (a second store on a held dir is refused: see "data dir lock"), and
    // the reopened store holds what the first one committed on close.
    const again = await open(dir);
    expect([...again.scan(undefined)]).toEqual([expect.objectContaining({ key: "k", value: "v" })]);
  });
});

describe("DurableStore stagePuts", () => {
  it("ends as the same puts one by one would, whatever came before: values, versions, size, bytes, after a reopen", async () => {
    // A clock that stands still, so both stores issue the same versions; remote copies carry
    // versions far ahead of it, so a staged put's version must come from what the clock observed.
    const now = () => 1_700_000_000_000;
    const keys = ["a", "b", "c", "é", "l".repeat(1000)]; // the last too long for a put run
    const key = fc.constantFrom(...keys);
    // Well-formed, as every PUT's value is (the protocol refuses a lone surrogate in one).
    const value = fc.string({ unit: fc.constantFrom("v", "é", "\u{1f600}"), maxLength: 8 });
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("puts" as const),
        entries: fc.array(fc.tuple(key, value), { maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant("delete" as const), key }),
      fc.record({
        kind: fc.constant("apply" as const),
        key,
        value: fc.option(fc.string(), { nil: undefined }),
        version: fc.integer({ min: 1, max: 4e15 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        const dirs = [nextDir(), nextDir()] as const;
        const staged = await DurableStore.open({ dir: dirs[0], fsync: "off", now });
        const singly = await DurableStore.open({ dir: dirs[1], fsync: "off", now });
        for (const s of steps) {
          for (const store of [staged, singly]) {
            if (s.kind === "delete") store.delete(s.key);
            else if (s.kind === "apply") store.apply(s.key, { value: s.value, version: s.version });
            else if (store === singly) for (const [k, v] of s.entries) store.put(k, v);
          }
          if (s.kind === "puts") {
            staged.stagePuts(
              s.entries.map(([k]) => k),
              s.entries.map(([, v]) => v),
            )();
          }
        }
        const held = (store: DurableStore) => ({
          copies: keys.map((k) => store.copy(k)),
          size: store.size,
          bytes: store.bytes,
        });
        const before = held(staged);
        expect(before).toEqual(held(singly));
        await Promise.all([staged.close(), singly.close()]);
        const [a, b] = await Promise.all(dirs.map((dir) => DurableStore.open({ dir, fsync: "off", now })));
        opened.push(a!, b!);
        expect(held(a!)).toEqual(held(b!));
        expect(held(a!)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  it("is in the log once staged, before its inserts run: a reopen finds it", async () => {
    const dir = nextDir();
    const store = await open(dir, "batch");
    const inserts = store.stagePuts(["k1", "k2"], ["v1", "v2"]);
    expect(store.get("k1")).toBeUndefined(); // not in memory yet
    expect(store.sync()).toBeUndefined();
    inserts();
    expect([store.get("k1"), store.get("k2")]).toEqual(["v1", "v2"]);
    await store.close();
    const again = await open(dir);
    expect([again.get("k1"), again.get("k2")]).toEqual(["v1", "v2"]);
  });

  it("a snapshot that starts at the flush of a staged batch still ends with it: a reopen finds every key", async () => {
    const dir = nextDir();
    // A snapshot at every flush past 64 bytes of log: the staged batch's own flush starts one.
    const store = await DurableStore.open({ dir, fsync: "batch", checkpointBytes: 64 });
    opened.push(store);
    store.put("before", "x");
    const inserts = store.stagePuts(["a", "b"], ["v".repeat(100), "w".repeat(100)]);
    expect(store.sync()).toBeUndefined(); // the reply would leave here
    inserts();
    // Its fsync may take a while on a loaded machine: wait for it, bounded.
    await vi.waitFor(() => expect(store.diskStats().snapshots).toBe(1), { timeout: 30_000, interval: 5 });
    await store.close();
    const again = await open(dir);
    expect([again.get("before"), again.get("a"), again.get("b")]).toEqual([
      "x",
      "v".repeat(100),
      "w".repeat(100),
    ]);
  });

  it("lays a BATCH of thousands of PUTs in several runs, all of them back after a reopen", async () => {
    const dir = nextDir();
    const store = await open(dir, "batch");
    const keys = Array.from({ length: 1300 }, (_, i) => `k${i}`);
    store.stagePuts(
      keys,
      keys.map((k) => `v-${k}`),
    )();
    await store.close();
    const again = await open(dir);
    expect(again.size).toBe(1300);
    expect(keys.every((k) => again.get(k) === `v-${k}`)).toBe(true);
  });
});

describe("data dir lock", () => {
  it("refuses a second store on the same dir in this process, and frees it on close", async () => {
    const dir = nextDir();
    const first = await DurableStore.open({ dir, fsync: "batch" });
    const err = await DurableStore.open({ dir, fsync: "batch" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe("DATA_DIR_LOCKED");
    await first.close();
    await open(dir);
  });

  it("says DATA_DIR_UNUSABLE for a dir it cannot create", async () => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const err = await DurableStore.open({ dir: join(file, "sub"), fsync: "batch" }).catch((e: unknown) => e);
    expect((err as DataDirError).code).toBe("DATA_DIR_UNUSABLE");
  });
});
