import { createPlacement } from "@zkv/hashring";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exchangeRound, type ReplicaSide } from "../src/anti-entropy/exchange.js";
import type { ScanLimits } from "../src/anti-entropy/leaf-scan.js";
import { LocalSide } from "../src/anti-entropy/local-side.js";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { MemoryStore, newest, type Versioned } from "../src/store/index.js";

/**
 * Two replicas compared in memory: each a store with its trees, the other seen through its own
 * LocalSide (what its AE ops would answer). Placement: a ring of a, b, c with 2 replicas per
 * key, so a and b share some ranges and not others, and only the shared ones may change.
 */
const placement = createPlacement("ring", ["a", "b", "c"]);
const rangeOf = (key: string) => placement.preferenceList(key, 2).sort();
const shared = (key: string) => ["a", "b"].every((n) => rangeOf(key).includes(n));

interface Replica {
  readonly store: TrackedStore;
  readonly trees: RangeTrees;
}

function replica(): Replica {
  const trees = new RangeTrees();
  trees.rebuild(0, placement, 2, new MemoryStore());
  return { trees, store: new TrackedStore(new MemoryStore(), (k, b, a) => trees.update(k, b, a)) };
}

function side(self: string, peer: string, r: Replica, limits?: ScanLimits): LocalSide {
  return new LocalSide({ self, peer, trees: r.trees, store: r.store, ...(limits ? { limits } : {}) });
}

/** A copy at `version`: a value when even, a tombstone when odd (one write per version). */
const copyAt = (version: number): Versioned =>
  version % 2 === 0 ? { value: `v${version}`, version } : { value: undefined, version };

/** Per key (of a small space, so replicas overlap): absent, or a version, on each replica. */
const contents = fc.dictionary(
  fc.integer({ min: 0, max: 400 }).map((i) => `key-${i}`),
  fc.tuple(fc.option(fc.integer({ min: 1, max: 9 })), fc.option(fc.integer({ min: 1, max: 9 }))),
  { maxKeys: 250 },
);

function load(content: Record<string, [number | null, number | null]>) {
  const a = replica();
  const b = replicaOf(content, a);
  return { a, b };
}

function replicaOf(content: Record<string, [number | null, number | null]>, a: Replica): Replica {
  const b = replica();
  for (const [key, [va, vb]] of Object.entries(content)) {
    if (va !== null) a.store.apply(key, copyAt(va));
    if (vb !== null) b.store.apply(key, copyAt(vb));
  }
  return b;
}

/** Rounds until one says nothing is left. */
async function converge(local: ReplicaSide, remote: ReplicaSide, maxKeys: number) {
  let different = 0;
  let ranges = 0;
  for (let round = 0; round < 500; round++) {
    const r = await exchangeRound(local, remote, maxKeys);
    different += r.different;
    ranges = Math.max(ranges, r.ranges);
    if (!r.more) return { different, ranges, rounds: round + 1 };
  }
  throw new Error("no convergence in 500 rounds");
}

describe("anti-entropy exchange", () => {
  it("finds exactly the keys that differ, and leaves both replicas with the newest copy of each", async () => {
    await fc.assert(
      fc.asyncProperty(contents, async (content) => {
        const { a, b } = load(content);
        const before = new Map(Object.keys(content).map((k) => [k, [a.store.copy(k), b.store.copy(k)]]));
        const { different } = await converge(side("a", "b", a), side("b", "a", b), 1_000_000);
        let expectedDifferent = 0;
        for (const [key, [ca, cb]] of before) {
          if (!shared(key)) {
            expect(a.store.copy(key)).toEqual(ca); // not a range both replicate: untouched
            expect(b.store.copy(key)).toEqual(cb);
            continue;
          }
          if (ca?.version !== cb?.version) expectedDifferent++;
          const best = newest([ca, cb]);
          expect(a.store.copy(key)).toEqual(best);
          expect(b.store.copy(key)).toEqual(best);
        }
        expect(different).toBe(expectedDifferent);
        // Agreed now: the next round finds nothing.
        const again = await exchangeRound(side("a", "b", a), side("b", "a", b), 1_000_000);
        expect(again).toMatchObject({ different: 0, repaired: 0, more: false });
      }),
      { numRuns: 60 },
    );
  });

  it("converges over several rounds when each lists only a few keys", async () => {
    const tight: ScanLimits = { maxKeys: 3, maxBytes: 200, sliceKeys: 7 };
    await fc.assert(
      fc.asyncProperty(contents, async (content) => {
        const { a, b } = load(content);
        const expected = new Map(
          Object.keys(content).map((k) => [k, newest([a.store.copy(k), b.store.copy(k)])]),
        );
        await converge(side("a", "b", a, tight), side("b", "a", b, tight), 2);
        for (const [key, best] of expected) {
          if (!shared(key)) continue;
          expect(a.store.copy(key)).toEqual(best);
          expect(b.store.copy(key)).toEqual(best);
        }
      }),
      { numRuns: 30 },
    );
  });

  it("costs one root comparison when the replicas agree", async () => {
    const { a, b } = load(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`key-${i}`, [4, 4]])));
    const calls: string[] = [];
    const counting = (s: ReplicaSide): ReplicaSide => {
      const counted =
        <A extends unknown[], R>(name: string, call: (...args: A) => R) =>
        (...args: A): R => {
          calls.push(name);
          return call(...args);
        };
      return {
        roots: counted("roots", () => s.roots()),
        hashes: counted("hashes", (x) => s.hashes(x)),
        keys: counted("keys", (x) => s.keys(x)),
        read: counted("read", (x) => s.read(x)),
        write: counted("write", (x) => s.write(x)),
      };
    };
    const r = await exchangeRound(side("a", "b", a), counting(side("b", "a", b)), 1000);
    expect(r).toEqual({ ranges: expect.any(Number), different: 0, repaired: 0, more: false });
    expect(r.ranges).toBeGreaterThan(0);
    expect(calls).toEqual(["roots"]);
  });

  it("repairs a tombstone over an older value, both ways", async () => {
    const key = Array.from({ length: 100 }, (_, i) => `t-${i}`).find(shared)!;
    const { a, b } = load({});
    a.store.apply(key, { value: "old", version: 10 });
    b.store.apply(key, { value: undefined, version: 11 });
    const r = await exchangeRound(side("a", "b", a), side("b", "a", b), 100);
    expect(r).toMatchObject({ different: 1, repaired: 1 });
    expect(a.store.copy(key)).toEqual({ value: undefined, version: 11 });
  });

  it("keeps no pulled copy of a key this node stopped replicating during the round", async () => {
    const key = Array.from({ length: 100 }, (_, i) => `gone-${i}`).find(shared)!;
    const { a, b } = load({});
    b.store.apply(key, { value: "newer", version: 12 });
    // a's view moved on (a rebalance ended and TRIM dropped the key) while its round was running.
    const local = new LocalSide({
      self: "a",
      peer: "b",
      trees: a.trees,
      store: a.store,
      holds: (k) => k !== key,
    });
    const r = await exchangeRound(local, side("b", "a", b), 100);
    expect(r).toMatchObject({ different: 1, repaired: 0 });
    expect(a.store.copy(key)).toBeUndefined();
  });
});
