import type { Placement } from "@zkv/hashring";
import { fmt } from "./format.js";

/** The cluster the bench starts with; one node is added to it. */
export const INITIAL_NODES = 4;
/** The share of keys an added node should take: 1/(n+1). */
export const OPTIMUM = 1 / (INITIAL_NODES + 1);
export const VALUE_BYTES = 100;

// Key i and its value are a pure function of i, so nothing is kept in memory.

const FILLER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(4);

/** The bench's i-th key. */
export function keyFor(i: number): string {
  return `bench:${i.toString().padStart(8, "0")}`;
}

/** The value stored under keyFor(i): VALUE_BYTES long, different per key. */
export function valueFor(i: number): string {
  const head = `v${i}:`;
  const start = i % 60;
  return head + FILLER.slice(start, start + VALUE_BYTES - head.length);
}

/** mulberry32: a seeded PRNG, so the spot-checked keys are the same from run to run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The ids the launcher gives its first `count` nodes. */
export function nodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node-${i}`);
}

/** How many of the first `keys` keys each node of `placement` owns. */
export function expectedCounts(placement: Placement, keys: number): Map<string, number> {
  const counts = new Map(placement.nodes.map((n) => [n, 0]));
  for (let i = 0; i < keys; i++) {
    const node = placement.locate(keyFor(i));
    counts.set(node, counts.get(node)! + 1);
  }
  return counts;
}

/** Keys whose owner differs between two placements: what a minimal move moves. */
export function keysChangingOwner(before: Placement, after: Placement, keys: number): number {
  let n = 0;
  for (let i = 0; i < keys; i++) {
    const key = keyFor(i);
    if (before.locate(key) !== after.locate(key)) n++;
  }
  return n;
}

/** Prints expected against counted entries per node; true when every node holds what it should. */
export function compareCounts(
  label: string,
  expected: Map<string, number>,
  { counts: actual, seconds }: { counts: Map<string, number>; seconds: number },
): boolean {
  const ok = [...expected].every(([n, c]) => actual.get(n) === c);
  const cells = [...expected].map(
    ([n, c]) => `${n} ${fmt(actual.get(n) ?? 0)}${actual.get(n) === c ? "" : ` (expected ${fmt(c)})`}`,
  );
  console.log(`${label}: ${cells.join(", ")}: ${ok ? "as expected" : "MISMATCH"}`);
  console.log(`  (counted with GET_ALL, all nodes paged concurrently, in ${seconds.toFixed(2)} s)`);
  return ok;
}
