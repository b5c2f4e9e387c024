import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DurableStore, type Entry, MemoryStore, type Store } from "../src/store/index.js";
import { bytesOf } from "./helpers.js";

/**
 * The same behaviour is required of every engine: each test below runs against MemoryStore and
 * DurableStore (a fresh dir each, fsync off: durability is tested elsewhere, behaviour here).
 */
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

/** Everything a scan yields, as [key, value] pairs. */
function scanAll(store: Store, after?: string): [string, string][] {
  return [...store.scan(after)].map((e: Entry) => [e.key, e.value]);
}

/** What a scan must return according to a Map model: keys strictly after `after`, ascending UTF-16. */
function modelScan(model: Map<string, string>, after?: string): [string, string][] {
  return [...model.entries()]
    .filter(([k]) => after === undefined || k > after)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe.each(engines)("%s basics", (_name, newStore) => {
  it("stores, overwrites, reads and deletes values", async () => {
    const store = await newStore();
    expect(store.size).toBe(0);
    expect(store.get("k")).toBeUndefined();

    store.put("k", "v1");
    expect(store.get("k")).toBe("v1");
    expect(store.size).toBe(1);

    store.put("k", "v2");
    expect(store.get("k")).toBe("v2");
    expect(store.size).toBe(1);

    expect(store.delete("k")).toBe(true);
    expect(store.get("k")).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.delete("k")).toBe(false);
  });

  it("accepts the empty string as key and value", async () => {
    const store = await newStore();
    store.put("", "");
    expect(store.get("")).toBe("");
    expect(scanAll(store)).toEqual([["", ""]]);
    // Nothing sorts before "", so resuming after it skips exactly that key.
    expect(scanAll(store, "")).toEqual([]);
  });

  it("treats keys that look like Object members as ordinary keys", async () => {
    const store = await newStore();
    expect(store.get("__proto__")).toBeUndefined();
    expect(store.get("constructor")).toBeUndefined();
    store.put("__proto__", "p");
    store.put("constructor", "c");
    expect(store.get("__proto__")).toBe("p");
    expect(store.get("constructor")).toBe("c");
    expect(store.size).toBe(2);
  });
});

describe.each(engines)("%s scan", (_name, newStore) => {
  it("walks keys in ascending order whatever the insertion order", async () => {
    const store = await newStore();
    for (const k of ["m", "b", "z", "a", "bb", "B"]) store.put(k, `v-${k}`);
    expect(scanAll(store).map(([k]) => k)).toEqual(["B", "a", "b", "bb", "m", "z"]);
  });

  it("orders by UTF-16 code units (astral characters before U+FFFF)", async () => {
    const store = await newStore();
    store.put("\uffff", "bmp");
    store.put("\u{1f600}", "astral");
    store.put("é", "latin");
    expect(scanAll(store).map(([k]) => k)).toEqual(["é", "\u{1f600}", "\uffff"]);
  });

  it("resumes strictly after the given key, present or not", async () => {
    const store = await newStore();
    for (const k of ["a", "c", "e"]) store.put(k, k.toUpperCase());
    expect(scanAll(store, "a")).toEqual([
      ["c", "C"],
      ["e", "E"],
    ]);
    expect(scanAll(store, "b")).toEqual([
      ["c", "C"],
      ["e", "E"],
    ]);
    expect(scanAll(store, "e")).toEqual([]);
    expect(scanAll(store, "z")).toEqual([]);
    expect(scanAll(store, "")).toEqual(scanAll(store));
  });

  it("never yields deleted keys, including ones deleted after an earlier scan", async () => {
    const store = await newStore();
    for (const k of ["a", "b", "c", "d"]) store.put(k, k);
    expect(scanAll(store).map(([k]) => k)).toEqual(["a", "b", "c", "d"]);
    store.delete("b");
    store.delete("d");
    expect(scanAll(store).map(([k]) => k)).toEqual(["a", "c"]);
    store.put("b", "again");
    expect(scanAll(store)).toEqual([
      ["a", "a"],
      ["b", "again"],
      ["c", "c"],
    ]);
  });

  it("shows the latest value of a key overwritten after a scan", async () => {
    const store = await newStore();
    store.put("a", "1");
    expect(scanAll(store)).toEqual([["a", "1"]]);
    store.put("a", "2");
    expect(scanAll(store)).toEqual([["a", "2"]]);
  });
});

/** One step of a random workload. */
type Op =
  | { kind: "put"; key: string; value: string }
  | { kind: "delete"; key: string }
  | { kind: "get"; key: string }
  | { kind: "scan"; after: string | undefined };

// A small alphabet (with a surrogate pair and a lone surrogate) makes keys collide and exercises
// ordering beyond ASCII.
const key = fc.string({
  unit: fc.constantFrom("a", "b", "c", "é", "\u{1f600}", "\ud800", "\uffff"),
  maxLength: 3,
});
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("put" as const), key, value: fc.string() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("get" as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("scan" as const), after: fc.option(key, { nil: undefined }) }),
  },
);

describe.each(engines)("%s against a Map model", (_name, newStore) => {
  it("agrees with a Map on every get, delete, size, bytes and scan of random workloads", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 200 }), async (ops) => {
        const store = await newStore();
        const model = new Map<string, string>();
        for (const o of ops) {
          switch (o.kind) {
            case "put":
              store.put(o.key, o.value);
              model.set(o.key, o.value);
              break;
            case "delete":
              expect(store.delete(o.key)).toBe(model.delete(o.key));
              break;
            case "get":
              expect(store.get(o.key)).toBe(model.get(o.key));
              break;
            case "scan":
              expect(scanAll(store, o.after)).toEqual(modelScan(model, o.after));
              break;
          }
          expect(store.size).toBe(model.size);
        }
        expect(scanAll(store)).toEqual(modelScan(model));
        expect(store.bytes).toBe(bytesOf(model));
        await store.close();
      }),
      { numRuns: 50 },
    );
  });

  it("paging with scan(lastKey) visits every key exactly once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(key, { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (keys, pageSize) => {
          const store = await newStore();
          for (const k of keys) store.put(k, `v:${k}`);
          const seen: string[] = [];
          let after: string | undefined;
          for (;;) {
            const page: string[] = [];
            for (const e of store.scan(after)) {
              page.push(e.key);
              if (page.length === pageSize) break;
            }
            if (page.length === 0) break;
            seen.push(...page);
            after = page[page.length - 1];
          }
          expect(seen).toEqual([...keys].sort());
          await store.close();
        },
      ),
      { numRuns: 50 },
    );
  });
});

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
