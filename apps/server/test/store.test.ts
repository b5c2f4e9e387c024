import { describe, expect, it } from "vitest";
import { scanAll } from "./support/scan-all.js";
import { useStoreEngines } from "./support/store-engines.js";

const { engines } = useStoreEngines();

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
