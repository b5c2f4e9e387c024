import { leafOf } from "./digest.js";

/** Leaves per region, as a shift: 32 leaves, so 1,024 regions of ~1,000 keys each at 1M keys. */
const REGION_SHIFT = 5;
const REGIONS = 2 ** (15 - REGION_SHIFT);
/** Keys listed and sorted into regions between two looks at the clock. */
const LIST_CHUNK = 2048;

/**
 * A rebuild of a node's hash trees done a slice at a time, so a node with millions of keys keeps
 * answering while it runs (one pass took ~2 s of CPU per million keys, with nothing else served).
 *
 * First the store's keys are listed, a chunk per slice, and sorted into regions of leaves; then
 * the regions are added in order, each in one go, every key at the version it has then. The
 * trees stay exact under concurrent writes by one rule: a write to a key whose region is added
 * already updates the trees at once (they hold its previous version); a write to a key whose
 * region is not added yet only notes the key, and its region, when it comes, adds every key it
 * listed or noted (one created after the listing started included) at its version then.
 *
 * The listing follows the store live (MemoryStore.keys()), so a key may be listed twice (moved
 * from the live keys to the tombstones meanwhile) or missed (created behind the listing): a
 * region adds each key once, and a key missed was written, so it is noted.
 */
export class TreeBuild {
  readonly #listing: Iterator<string>;
  #listed = 0;
  #listingDone = false;
  readonly #regions: string[][] = Array.from({ length: REGIONS }, () => []);
  /** Region → keys written while it was not added yet. */
  readonly #noted = new Map<number, Set<string>>();
  /** Regions below this one are in the trees. */
  #added = 0;

  /** `listChunk`: keys listed between two looks at the clock (tests make it small). */
  constructor(
    keys: Iterable<string>,
    private readonly listChunk = LIST_CHUNK,
  ) {
    this.#listing = keys[Symbol.iterator]();
  }

  /** Keys listed so far. */
  get size(): number {
    return this.#listed;
  }

  /**
   * A write to `key` (leaf `leaf`) during the build: true when the trees must take it now (its
   * region is added already), false when it is noted for its region instead.
   */
  admits(key: string, leaf: number): boolean {
    const region = leaf >>> REGION_SHIFT;
    if (region < this.#added) return true;
    const noted = this.#noted.get(region);
    if (noted === undefined) this.#noted.set(region, new Set([key]));
    else noted.add(key);
    return false;
  }

  /**
   * Works for about `budgetMs` (at least one chunk of keys or one region), giving `add` each key
   * of the regions it finishes, once; true once every region is added.
   */
  step(budgetMs: number, add: (key: string) => void): boolean {
    const until = performance.now() + budgetMs;
    while (!this.#listingDone) {
      for (let i = 0; i < this.listChunk; i++) {
        const next = this.#listing.next();
        if (next.done === true) {
          this.#listingDone = true;
          break;
        }
        this.#regions[leafOf(next.value) >>> REGION_SHIFT]!.push(next.value);
        this.#listed++;
      }
      if (performance.now() >= until) return false;
    }
    while (this.#added < REGIONS) {
      const region = this.#added;
      const noted = this.#noted.get(region);
      const seen = new Set(noted);
      for (const key of this.#regions[region]!) {
        if (seen.has(key)) continue;
        seen.add(key);
        add(key);
      }
      if (noted !== undefined) for (const key of noted) add(key);
      this.#regions[region] = [];
      this.#noted.delete(region);
      this.#added++;
      if (performance.now() >= until) return this.#added === REGIONS;
    }
    return true;
  }
}
