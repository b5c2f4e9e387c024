import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_CODE_BY_ERROR, ExitCode } from "@zkv/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { DurableStore, MemoryStore, type Store, StoreClosedError } from "../src/store/index.js";

const root = mkdtempSync(join(tmpdir(), "zkv-store-closed-"));
let dirs = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

const engines: [string, (dir: string) => Promise<Store>][] = [
  ["MemoryStore", async () => new MemoryStore()],
  ["DurableStore", (dir) => DurableStore.open({ dir, fsync: "batch" })],
];

/** Every use of a store but close(), each as a call that should refuse. */
const USES: [string, (store: Store) => unknown][] = [
  ["get", (s) => s.get("k")],
  ["entry", (s) => s.entry("k")],
  ["put", (s) => s.put("late", "v")],
  ["delete", (s) => s.delete("k")],
  ["copy", (s) => s.copy("k")],
  ["apply", (s) => s.apply("late", { value: "v", version: 1e15 })],
  ["drop", (s) => s.drop("k")],
  ["tombstoneKeys", (s) => s.tombstoneKeys()],
  ["reclaim", (s) => s.reclaim(10, false)],
  ["scan", (s) => [...s.scan(undefined)]],
  ["sync", (s) => s.sync()],
];

describe.each(engines)("%s used after close()", (_name, openStore) => {
  it("refuses every use with StoreClosedError (code STORE_CLOSED, exit FAILURE), changing nothing", async () => {
    const store = await openStore(join(root, String(dirs++)));
    store.put("k", "v");
    const bytes = store.bytes;
    await store.close();
    for (const [name, use] of USES) {
      let thrown: unknown;
      try {
        use(store);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, name).toBeInstanceOf(StoreClosedError);
      expect((thrown as StoreClosedError).code, name).toBe("STORE_CLOSED");
    }
    expect(EXIT_CODE_BY_ERROR.STORE_CLOSED).toBe(ExitCode.FAILURE);
    // What a metrics scrape reads still answers, and is unchanged; close() stays idempotent.
    expect([store.size, store.bytes]).toEqual([1, bytes]);
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe("DurableStore closing", () => {
  it("a write after close() begins throws at once, and the data dir holds only what came before", async () => {
    const dir = join(root, String(dirs++));
    const store = await DurableStore.open({ dir, fsync: "batch" });
    store.put("before", "1");
    const closing = store.close();
    // Before this error existed, the write was accepted here and lmdb threw "The environment is
    // already closed" from its own commit, outside any caller: an uncaught error that ends the
    // node process (and fails this test run).
    expect(() => store.put("after", "2")).toThrow(StoreClosedError);
    await closing;
    const again = await DurableStore.open({ dir, fsync: "batch" });
    try {
      expect([...again.scan(undefined)].map((e) => e.key)).toEqual(["before"]);
    } finally {
      await again.close();
    }
  });
});
