import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DurableStore } from "../src/store/index.js";
import { scanAll } from "./support/scan-all.js";
import { useStoreEngines } from "./support/store-engines.js";

const { root, opened, engines } = useStoreEngines();

describe.each(engines)("%s versioned copies (replication)", (_name, newStore) => {
  it("keeps only newer copies, and a deletion as a versioned tombstone", async () => {
    const store = await newStore();
    expect(store.apply("k", { value: "v2", version: 20 })).toBe(true);
    expect(store.apply("k", { value: "v1", version: 10 })).toBe(false);
    expect(store.get("k")).toBe("v2");
    expect(store.apply("k", { value: undefined, version: 30 })).toBe(true);
    expect(store.get("k")).toBeUndefined();
    expect(store.copy("k")).toEqual({ value: undefined, version: 30 });
    expect(scanAll(store)).toEqual([]);
    expect(store.apply("k", { value: "late", version: 25 })).toBe(false);
    expect(store.size).toBe(0);
    // A plain put is versioned too, above every version the store has seen.
    const version = store.put("plain", "x");
    expect(version).toBeGreaterThan(30);
    expect(store.copy("plain")).toEqual({ value: "x", version });
  });
});

describe("DurableStore versions", () => {
  it("survive a restart, tombstones included", async () => {
    const dir = join(root, "versions");
    const first = await DurableStore.open({ dir, fsync: "batch" });
    first.apply("a", { value: "va", version: 7 });
    first.apply("b", { value: "vb", version: 8 });
    first.apply("b", { value: undefined, version: 9 });
    await first.sync();
    await first.close();
    const again = await DurableStore.open({ dir, fsync: "batch" });
    opened.push(again);
    expect(again.copy("a")).toEqual({ value: "va", version: 7 });
    expect(again.copy("b")).toEqual({ value: undefined, version: 9 });
    expect(again.size).toBe(1);
    expect(again.apply("b", { value: "old", version: 8 })).toBe(false);
  });
});
