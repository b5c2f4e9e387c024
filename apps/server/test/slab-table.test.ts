import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CHUNK_SIZES } from "../src/store/arena.js";
import { SlabTable } from "../src/store/slab-table.js";

/**
 * SlabTable against a Map model: whatever the sequence of inserts, overwrites (in place, and
 * moved to a larger record), removes (and the id and arena reuse after them) and compactions, the
 * table finds exactly the model's keys, with their values and versions, byte for byte.
 */
type Model = Map<string, { value: string; version: number }>;

/** Keys from a small pool (so ops hit the same keys), ASCII or not, lone surrogates included. */
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("a", "b", "key:000000000001", "ключ", "\uD800", "é", "") },
  { weight: 2, arbitrary: fc.string({ maxLength: 3, unit: fc.constantFrom("x", "y", "z") }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: "binary" }) },
);
/** Values from empty to 20 kB (over a quarter of a chunk: a chunk of its own). */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20, unit: "binary" }) },
  { weight: 3, arbitrary: fc.nat(600).map((n) => "v".repeat(n)) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(300), fc.constantFrom("ж", "\uDC00", "😀")).map(([n, c]) => c.repeat(n)),
  },
  { weight: 1, arbitrary: fc.nat(20_000).map((n) => "v".repeat(n)) },
);
/** Chunk sizes: tiny ones, so a few hundred ops fill, empty and compact many chunks; and the default. */
const chunks = fc.constantFrom({ first: 256, max: 4096 }, { first: 4096, max: 65_536 }, DEFAULT_CHUNK_SIZES);
const op = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), key, value }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("check" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("interleaved" as const),
      key,
      other: key,
      value,
      pick: fc.nat(),
    }),
  },
);

function put(table: SlabTable, key: string, value: string, version: number): void {
  const id = table.find(key);
  if (id < 0) table.insert(key, value, Buffer.byteLength(value), version);
  else table.update(id, value, Buffer.byteLength(value), version);
}

/**
 * A lookup of `key`, then a change to the index before `key` is inserted: a remove (whose
 * backward shift may fill the bucket the lookup stopped at), or another key's insert (which may
 * take it). The insert must not trust the stale bucket.
 */
function interleaved(
  table: SlabTable,
  model: Model,
  o: { key: string; other: string; value: string; pick: number },
  version: number,
): void {
  const missed = table.find(o.key) < 0;
  if (!model.has(o.other) && o.other !== o.key) {
    table.insert(o.other, o.value, Buffer.byteLength(o.value), version);
    model.set(o.other, { value: o.value, version });
  } else if (table.size > 0) {
    const ids = [...table.ids()];
    const victim = ids[o.pick % ids.length]!;
    const victimKey = table.keyOf(victim);
    table.remove(victim);
    model.delete(victimKey);
  }
  if (missed && !model.has(o.key)) {
    table.insert(o.key, o.value, Buffer.byteLength(o.value), version);
    model.set(o.key, { value: o.value, version });
  }
}

/** Every way the table differs from the model (none, when they agree). */
function differences(table: SlabTable, model: Model): string[] {
  const out: string[] = [];
  if (table.size !== model.size) out.push(`size ${table.size}, model ${model.size}`);
  const held = new Map([...table.ids()].map((id) => [table.keyOf(id), id]));
  for (const key of held.keys()) if (!model.has(key)) out.push(`holds ${JSON.stringify(key)}`);
  for (const [key, { value, version }] of model) {
    const id = table.find(key);
    if (id < 0 || id !== held.get(key)) out.push(`lost ${JSON.stringify(key)}`);
    else if (table.valueOf(id) !== value || table.valueBytesOf(id) !== Buffer.byteLength(value)) {
      out.push(`wrong value for ${JSON.stringify(key)}`);
    } else if (table.versionOf(id) !== version) out.push(`wrong version for ${JSON.stringify(key)}`);
  }
  return out;
}

describe("SlabTable", () => {
  it("agrees with a Map under random puts, overwrites and removes (property)", () => {
    fc.assert(
      fc.property(chunks, fc.array(op, { minLength: 100, maxLength: 600, size: "max" }), (sizes, ops) => {
        const table = new SlabTable(sizes);
        const model: Model = new Map();
        let version = 0;
        for (const o of ops) {
          if (o.kind === "put") {
            put(table, o.key, o.value, ++version);
            model.set(o.key, { value: o.value, version });
          } else if (o.kind === "remove") {
            const id = table.find(o.key);
            expect(id >= 0).toBe(model.has(o.key));
            if (id >= 0) table.remove(id);
            model.delete(o.key);
          } else if (o.kind === "interleaved") interleaved(table, model, o, ++version);
          else expect(differences(table, model)).toEqual([]);
          expect(table.find(o.kind === "check" ? "never held" : o.key) >= 0).toBe(
            o.kind !== "check" && model.has(o.key),
          );
        }
        expect(differences(table, model)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("finds every key through the index's growth, removes and id reuse, however long the probe runs (property)", () => {
    // Thousands of distinct keys: the index doubles several times (each bucket's tag changes width),
    // removes shift entries back across the wrap-around, and re-inserted keys take reused ids.
    fc.assert(
      fc.property(fc.nat(6000), fc.nat(9), fc.integer({ min: 2, max: 7 }), (n, phase, stride) => {
        const table = new SlabTable({ first: 4096, max: 65_536 });
        const model: Model = new Map();
        let version = 0;
        for (let i = 0; i < n; i++) {
          put(table, `k${i}`, `v${i}`, ++version);
          model.set(`k${i}`, { value: `v${i}`, version });
        }
        for (let i = phase; i < n; i += stride) {
          table.remove(table.find(`k${i}`));
          model.delete(`k${i}`);
        }
        for (let i = phase; i < n; i += 2 * stride) {
          put(table, `k${i}`, `again${i}`, ++version);
          model.set(`k${i}`, { value: `again${i}`, version });
        }
        // More keys after the holes and reused ids: the index grows again from a table whose
        // probe runs were shifted back, some across the wrap-around.
        for (let i = 0; i < n; i++) {
          put(table, `m${i}`, `w${i}`, ++version);
          model.set(`m${i}`, { value: `w${i}`, version });
        }
        expect(differences(table, model)).toEqual([]);
        expect(table.find(`k${n}`)).toBe(-1);
      }),
      { numRuns: 30 },
    );
  });

  it("gives back the memory of deleted keys, and keeps the rest intact while compacting", () => {
    const table = new SlabTable();
    const n = 200_000;
    for (let i = 0; i < n; i++) put(table, `k${i}`, `${i}:${"v".repeat(100)}`, i);
    const full = table.externalBytes;
    // Delete 9 keys in 10, scattered: every chunk becomes mostly dead and is compacted away.
    for (let i = 0; i < n; i++) if (i % 10 !== 0) table.remove(table.find(`k${i}`));
    expect(table.size).toBe(n / 10);
    // What stays: the live records (~140 bytes each) at most twice over, plus the chunk being filled.
    expect(table.externalBytes).toBeLessThan(full / 2);
    expect(table.externalBytes).toBeLessThanOrEqual(2 * (n / 10) * 140 + DEFAULT_CHUNK_SIZES.max);
    const wrong = [];
    for (let i = 0; i < n; i++) {
      const id = table.find(`k${i}`);
      const held = i % 10 === 0 ? id >= 0 && table.valueOf(id) === `${i}:${"v".repeat(100)}` : id === -1;
      if (!held) wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });

  it("moves a record that outgrows its place, and reuses freed ids", () => {
    const table = new SlabTable();
    put(table, "a", "short", 1);
    put(table, "b", "other", 2);
    put(table, "a", "much longer than before", 3);
    expect(table.valueOf(table.find("a"))).toBe("much longer than before");
    expect(table.valueOf(table.find("b"))).toBe("other");
    const idB = table.find("b");
    table.remove(idB);
    put(table, "c", "reuses b's id", 4);
    expect(table.find("c")).toBe(idB);
    expect(table.find("b")).toBe(-1);
  });

  it("holds a value larger than a chunk in a chunk of its own, released when it goes", () => {
    const table = new SlabTable();
    put(table, "small", "x", 1);
    const before = table.externalBytes;
    const big = "b".repeat(DEFAULT_CHUNK_SIZES.max + 5);
    put(table, "big", big, 2);
    expect(table.valueOf(table.find("big"))).toBe(big);
    expect(table.externalBytes).toBeGreaterThan(before + DEFAULT_CHUNK_SIZES.max);
    table.remove(table.find("big"));
    expect(table.externalBytes).toBe(before);
    expect(table.valueOf(table.find("small"))).toBe("x");
  });
});
