import fc from "fast-check";
import { ConsistentHashRing, type NodeSpec, type Placement, RendezvousHash } from "../src/index.js";
import { fmix32 } from "../src/murmur3.js";

/** Shared helpers for the tests: placement factories, seeded keys, load counting. */

/** Both algorithms, built the same way, so each property runs against each. */
export const algorithms = [
  ["ring", (nodes: NodeSpec[]) => new ConsistentHashRing(nodes)],
  ["hrw", (nodes: NodeSpec[]) => new RendezvousHash(nodes)],
] as const satisfies readonly (readonly [string, (nodes: NodeSpec[]) => Placement])[];

/**
 * Runs for properties that build big placements or place many keys: a tenth of the global
 * `numRuns` (so FC_NUM_RUNS still scales them), or `fallback` when it is not set.
 */
export function heavyRuns(fallback: number): number {
  const global = fc.readConfigureGlobal().numRuns;
  return global === undefined ? fallback : Math.max(1, Math.ceil(global / 10));
}

/** The seed for tests that draw many keys outside fast-check: FC_SEED when set, else the clock. */
export function keySeed(): number {
  return fc.readConfigureGlobal().seed ?? Date.now() | 0;
}

/** `count` distinct keys drawn from `seed`, reproducible by re-running with FC_SEED. */
export function seededKeys(count: number, seed: number): string[] {
  return Array.from({ length: count }, (_, i) => `k:${fmix32((seed ^ fmix32(i)) | 0).toString(36)}:${i}`);
}

/** How many of `keys` each node owns (nodes owning nothing are listed with 0). */
export function loads(placement: Placement, keys: readonly string[]): Map<string, number> {
  const load = new Map(placement.nodes.map((id) => [id, 0]));
  for (const key of keys) {
    const owner = placement.locate(key);
    load.set(owner, load.get(owner)! + 1);
  }
  return load;
}

/** Node ids as fast-check generates them: short, distinct, never empty, any UTF-16. */
export const nodeIds = (minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10, unit: "binary" }), { minLength, maxLength });

/** Keys as fast-check generates them, including the empty key and non-ASCII text. */
export const keys = fc.array(fc.string({ maxLength: 24, unit: "binary" }), { minLength: 1, maxLength: 60 });
