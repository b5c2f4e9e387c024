import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { DurableStore, MemoryStore, type Store } from "../../src/store/index.js";

/**
 * The same behaviour is required of every engine: a test file that runs its tests against each of
 * `engines` gets a MemoryStore and a DurableStore (a fresh dir each under `root`, fsync off:
 * durability is tested elsewhere, behaviour here). Call once at the top of the file; every store
 * pushed onto `opened` is closed, and `root` removed, after the file's tests.
 */
export function useStoreEngines() {
  const root = mkdtempSync(join(tmpdir(), "zkv-store-test-"));
  let dirs = 0;
  const opened: Store[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    rmSync(root, { recursive: true, force: true });
  });

  const engines: [string, () => Promise<Store>][] = [
    ["MemoryStore", async () => new MemoryStore()],
    [
      "DurableStore",
      async () => {
        const store = await DurableStore.open({ dir: join(root, String(dirs++)), fsync: "off" });
        opened.push(store);
        return store;
      },
    ],
  ];
  return { root, opened, engines };
}
