/**
 * SlabTable's index from key hashes to entry ids: open addressing, linear probing, backward-shift
 * deletion, at most 3/4 full. Each bucket holds its id and the hash's bits above the bucket
 * number (a tag), so a probe passes the other keys of its run without reading their hashes or
 * records: at a million keys those reads are cache misses, the most of what a lookup costs.
 * SlabTable probes `buckets` itself (a lookup compares keys, which live in its records).
 */
export class SlabIndex {
  /**
   * Per bucket, 0 when empty, else the entry's id + 1 in the bits of `mask` and its hash's other
   * bits above them. Ids stay below the mask: the index grows before more keys are held than 3/4
   * of its buckets, and ids are reused, so no id reaches the number of buckets.
   */
  buckets = new Int32Array(16);
  mask = 15;

  /** Whether `size` entries are more than the buckets hold (3/4 of them): grow() first. */
  tooFull(size: number): boolean {
    return size * 4 > this.buckets.length * 3;
  }

  /** Puts entry `id`, of hash `h`, in the first free bucket of its probe run. */
  place(h: number, id: number): void {
    placeIn(this.buckets, this.mask, h, id);
  }

  /** Puts entry `id`, of hash `h`, in bucket `b`: the empty one a probe for its key just stopped at. */
  placeAt(b: number, h: number, id: number): void {
    this.buckets[b] = (h & ~this.mask) | (id + 1);
  }

  /** Takes entry `id`, of hash `hashes[id]`, out of the index (`hashes`: every entry's hash). */
  remove(id: number, hashes: Uint32Array): void {
    const buckets = this.buckets;
    const mask = this.mask;
    let hole = hashes[id]! & mask;
    while ((buckets[hole]! & mask) !== id + 1) hole = (hole + 1) & mask;
    // Backward shift: pull later entries of the probe run into the hole, so no tombstones pile up.
    for (let j = (hole + 1) & mask; buckets[j] !== 0; j = (j + 1) & mask) {
      const home = hashes[(buckets[j]! & mask) - 1]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        buckets[hole] = buckets[j]!;
        hole = j;
      }
    }
    buckets[hole] = 0;
  }

  /**
   * Twice the buckets, holding the same entries (`hashes`: every entry's hash). The old buckets
   * are read in order, so an entry's new home (its old one, or that plus the old size) moves
   * forward with them: the new buckets are written in two runs rather than at random. Placing
   * the entries in id order wrote a bucket of a table larger than the cache at random per entry,
   * and iterated a generator: 0.15–0.7 µs per put at a million keys in process, against
   * 0.08–0.17 this way (docs/performance.md).
   */
  grow(hashes: Uint32Array): void {
    const old = this.buckets;
    const oldMask = this.mask;
    const buckets = new Int32Array(old.length * 2);
    const mask = buckets.length - 1;
    // Start after an empty bucket (at most 3/4 are full), so no probe run is split at the wrap.
    let start = 0;
    while (old[start] !== 0) start++;
    for (let k = 1; k <= old.length; k++) {
      const e = old[(start + k) & oldMask]!;
      if (e === 0) continue;
      const id = (e & oldMask) - 1;
      placeIn(buckets, mask, hashes[id]!, id);
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}

/** Puts entry `id`, of hash `h`, in the first free bucket of its probe run in `buckets`. */
function placeIn(buckets: Int32Array, mask: number, h: number, id: number): void {
  let b = h & mask;
  while (buckets[b] !== 0) b = (b + 1) & mask;
  buckets[b] = (h & ~mask) | (id + 1);
}
