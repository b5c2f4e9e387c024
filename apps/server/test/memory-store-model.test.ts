import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStore, supersedes, type Versioned } from "../src/store/index.js";

/**
 * MemoryStore against a Map model under every kind of write a node makes: puts with and without
 * a TTL, deletes, replicated copies (apply, tombstones included), reclaim with and without
 * tombstones, drop, and time moving on. Keys repeat and values change size, so entries are
 * overwritten in place and moved, and freed slots reused, in the table beneath.
 */
interface Held {
  value: string | undefined; // undefined: a tombstone
  version: number;
  expiresAt?: number;
}

const key = fc.constantFrom("a", "b", "c", "key:000000000001", "ключ", "é", "", "z".repeat(40));
const value = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.nat(400).map((n) => "v".repeat(n)),
  fc.constant("жж"),
);
const ttl = fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined });
const op = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), key, value, ttl }),
  fc.record({ kind: fc.constant("delete" as const), key }),
  fc.record({
    kind: fc.constant("apply" as const),
    key,
    value: fc.option(value, { nil: undefined }),
    ttl,
    // A version around the clock's (now in µs): older, newer, or the very one a put just took.
    delta: fc.oneof(fc.constant(0), fc.integer({ min: -2_000_000, max: 2_000_000 })),
  }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 2000 }) }),
  fc.record({
    kind: fc.constant("reclaim" as const),
    max: fc.integer({ min: 1, max: 4 }),
    keep: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("drop" as const), key }),
);

function copyIn(model: Map<string, Held>, key: string): Versioned | undefined {
  const held = model.get(key);
  if (held === undefined) return undefined;
  return held.expiresAt === undefined
    ? { value: held.value, version: held.version }
    : { value: held.value, version: held.version, expiresAt: held.expiresAt };
}

describe("MemoryStore against a Map model", () => {
  it("agrees on get, copy, size, bytes, keys, tombstones and scan under puts, TTLs, applies and reclaims", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 200, size: "max" }), (ops) => {
        let now = 1000;
        const store = new MemoryStore({ now: () => now });
        const model = new Map<string, Held>();
        const live = (k: string) => {
          const h = model.get(k);
          return h !== undefined && h.value !== undefined && (h.expiresAt === undefined || h.expiresAt > now);
        };
        for (const o of ops) {
          if (o.kind === "put") {
            const before = model.get(o.key)?.version ?? -1;
            const expiresAt = o.ttl === undefined ? undefined : now + o.ttl;
            const version = store.put(o.key, o.value, expiresAt);
            expect(version).toBeGreaterThan(before);
            model.set(
              o.key,
              expiresAt === undefined ? { value: o.value, version } : { value: o.value, version, expiresAt },
            );
          } else if (o.kind === "delete") {
            expect(store.delete(o.key)).toBe(live(o.key));
            if (model.get(o.key)?.value !== undefined) model.delete(o.key);
          } else if (o.kind === "apply") {
            const version = Math.max(1, now * 1000 + o.delta);
            const copy: Versioned =
              o.value === undefined
                ? { value: undefined, version }
                : o.ttl === undefined
                  ? { value: o.value, version }
                  : { value: o.value, version, expiresAt: now + o.ttl };
            const wins = supersedes(copy, copyIn(model, o.key));
            expect(store.apply(o.key, copy)).toBe(wins);
            if (wins) model.set(o.key, { ...copy });
          } else if (o.kind === "tick") now += o.ms;
          else if (o.kind === "reclaim") {
            const expired = [...model].filter(
              ([, h]) => h.value !== undefined && h.expiresAt !== undefined && h.expiresAt <= now,
            );
            const taken = store.reclaimKeys(o.max, o.keep);
            expect(taken.length).toBe(Math.min(o.max, expired.length));
            for (const { key: k, version } of taken) {
              const h = model.get(k)!;
              expect(h.value !== undefined && h.expiresAt! <= now && h.version === version).toBe(true);
              if (o.keep) model.set(k, { value: undefined, version });
              else model.delete(k);
            }
          } else {
            store.drop(o.key);
            model.delete(o.key);
          }
          const k = "key" in o ? o.key : "a";
          expect(store.get(k)).toBe(live(k) ? model.get(k)!.value : undefined);
          expect(store.copy(k)).toEqual(copyIn(model, k));
          expect(store.versionOf(k)).toBe(model.get(k)?.version);
        }
        const values = [...model].filter(([, h]) => h.value !== undefined);
        expect(store.size).toBe(values.length);
        expect(store.bytes).toBe(
          values.reduce((n, [k, h]) => n + Buffer.byteLength(k) + Buffer.byteLength(h.value!), 0),
        );
        expect([...store.keys()].sort()).toEqual([...model.keys()].sort());
        const tombstones = [...model].filter(([, h]) => h.value === undefined).map(([k]) => k);
        expect([...store.tombstoneKeys()].sort()).toEqual(tombstones.sort());
        const scanned = [...store.scan(undefined)].map((e) => [e.key, e.value]);
        const expected = [...model.keys()]
          .filter(live)
          .sort()
          .map((k) => [k, model.get(k)!.value]);
        expect(scanned).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
