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
    const buckets = this.buckets;
    const mask = this.mask;
    let b = h & mask;
    while (buckets[b] !== 0) b = (b + 1) & mask;
    buckets[b] = (h & ~mask) | (id + 1);
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

  /** Twice the buckets, holding the ids `ids` gives (`hashes`: every entry's hash). */
  grow(ids: Iterable<number>, hashes: Uint32Array): void {
    this.buckets = new Int32Array(this.buckets.length * 2);
    this.mask = this.buckets.length - 1;
    for (const id of ids) this.place(hashes[id]!, id);
  }
}
