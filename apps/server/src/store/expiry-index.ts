/** Width of one expiry bucket: keys expiring within the same second share a bucket. */
const BUCKET_MS = 1000;

/**
 * When each expiring key expires, and the same keys grouped by the second they expire in, so the
 * background reclaim finds the expired ones without walking every key (a time-ordered index, where
 * Redis samples at random). Exact: a key's old bucket entry is removed when its expiry changes, so
 * the index holds each expiring key once whatever the write pattern (a session refreshed every
 * second leaves nothing behind). Keys that never expire cost nothing here.
 */
export class ExpiryIndex {
  readonly #at = new Map<string, number>();
  readonly #buckets = new Map<number, Set<string>>();
  /** Bucket ids as a binary min-heap, each id at most once (an emptied bucket's id stays until reached). */
  readonly #heap: number[] = [];
  readonly #inHeap = new Set<number>();

  /** Keys that expire. */
  get size(): number {
    return this.#at.size;
  }

  /** When `key` expires, or undefined when it never does (or is not held). */
  get(key: string): number | undefined {
    return this.#at.get(key);
  }

  /** Records that `key` expires at `expiresAt` (ms since the epoch), replacing any earlier expiry. */
  set(key: string, expiresAt: number): void {
    const old = this.#at.get(key);
    if (old === expiresAt) return;
    if (old !== undefined) this.#unbucket(key, old);
    this.#at.set(key, expiresAt);
    const id = Math.floor(expiresAt / BUCKET_MS);
    const bucket = this.#buckets.get(id);
    if (bucket) bucket.add(key);
    else {
      this.#buckets.set(id, new Set([key]));
      if (!this.#inHeap.has(id)) this.#push(id);
    }
  }

  /** Forgets `key`'s expiry (deleted, or overwritten without one). */
  delete(key: string): void {
    const old = this.#at.get(key);
    if (old === undefined) return;
    this.#at.delete(key);
    this.#unbucket(key, old);
  }

  /**
   * Removes and returns up to `max` keys expired at `now`, earliest seconds first. Only the
   * buckets whose second has begun are looked at, so one call costs O(max) plus the unexpired
   * keys of the current second.
   */
  take(now: number, max: number): string[] {
    const out: string[] = [];
    while (out.length < max && this.#heap.length > 0) {
      const id = this.#heap[0]!;
      if (id * BUCKET_MS > now) break;
      const bucket = this.#buckets.get(id);
      if (bucket === undefined) {
        this.#pop(); // emptied since it was pushed
        continue;
      }
      let pending = false;
      for (const key of bucket) {
        if (out.length >= max) return out;
        if (this.#at.get(key)! <= now) {
          out.push(key);
          this.#at.delete(key);
          bucket.delete(key);
        } else pending = true;
      }
      if (pending) break; // the current second: the rest expire later
      this.#buckets.delete(id);
      this.#pop();
    }
    return out;
  }

  #unbucket(key: string, expiresAt: number): void {
    const id = Math.floor(expiresAt / BUCKET_MS);
    const bucket = this.#buckets.get(id);
    if (bucket === undefined) return;
    bucket.delete(key);
    if (bucket.size === 0) this.#buckets.delete(id); // its heap entry is dropped when reached
  }

  #push(id: number): void {
    this.#inHeap.add(id);
    const heap = this.#heap;
    heap.push(id);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= id) break;
      heap[i] = heap[parent]!;
      heap[parent] = id;
      i = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    this.#inHeap.delete(heap[0]!);
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]! < heap[m]!) m = l;
      if (r < heap.length && heap[r]! < heap[m]!) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
