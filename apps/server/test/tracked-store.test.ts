import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { MemoryStore, type Versioned } from "../src/store/index.js";

/** A copy as REPLICATE, read repair or handoff bring it: a value or a tombstone, any version. */
const copy: fc.Arbitrary<Versioned> = fc.oneof(
  fc.record({ value: fc.constantFrom("a", "b", "c"), version: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    value: fc.constantFrom("a", "b"),
    version: fc.integer({ min: 1, max: 8 }),
    expiresAt: fc.integer({ min: 1, max: 3_000 }),
  }),
  fc.record({ value: fc.constant(undefined), version: fc.integer({ min: 1, max: 8 }) }),
);

describe("TrackedStore.apply", () => {
  it("keeps exactly what the store's own apply keeps, and reports every change to the trees", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("k1", "k2", "k3"), copy), { maxLength: 40 }), (list) => {
        const plain = new MemoryStore({ now: () => 1_000 });
        const versions = new Map<string, number | undefined>();
        const tracked = new TrackedStore(new MemoryStore({ now: () => 1_000 }), (key, before, after) => {
          expect(before).toBe(versions.get(key));
          versions.set(key, after);
        });
        for (const [key, c] of list) {
          expect(tracked.apply(key, c)).toBe(plain.apply(key, c));
          expect(tracked.copy(key)).toEqual(plain.copy(key));
          expect(versions.get(key)).toBe(plain.versionOf(key));
          expect(tracked.get(key)).toBe(plain.get(key));
        }
        expect(tracked.size).toBe(plain.size);
        expect(tracked.bytes).toBe(plain.bytes);
      }),
    );
  });
});

describe("TrackedStore.stagePuts", () => {
  it("stages only while the cluster keeps one copy; replicating, each write goes by put and is reported", () => {
    let replicated = false;
    const changes: string[] = [];
    const tracked = new TrackedStore(
      new MemoryStore({ now: () => 1_000 }),
      (key) => changes.push(key),
      () => replicated,
    );
    const inserts = tracked.stagePuts(["a", "b"], ["1", "2"]);
    expect(inserts).toBeTypeOf("function");
    inserts!();
    expect([tracked.get("a"), tracked.get("b")]).toEqual(["1", "2"]);
    expect(changes).toEqual([]); // one copy: no trees to follow
    replicated = true;
    expect(tracked.stagePuts(["c"], ["3"])).toBeUndefined();
    expect(tracked.get("c")).toBeUndefined();
  });
});
