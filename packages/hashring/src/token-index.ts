/**
 * Finds a key's successor token on the ring in O(1) expected probes instead of a full binary
 * search: with ~16k tokens the plain search takes 14 dependent, mostly cache-missing reads, which
 * measured at about two thirds of a lookup. A bucket table keyed by the top bits of the point
 * narrows the search to the few tokens sharing those bits.
 */

/** Average tokens per bucket is about 2^BUCKET_SLACK: the table costs ~1 byte per token. */
const BUCKET_SLACK = 2;

/** Sorted ring tokens plus a bucket table over their top bits. */
export class TokenIndex {
  private readonly tokens: Uint32Array;
  /** `starts[p]` is the index of the first token whose top bits are >= p; one extra entry at the end. */
  private readonly starts: Uint32Array;
  private readonly shift: number;

  /** `tokens` must be sorted ascending and free of duplicates. */
  constructor(tokens: Uint32Array) {
    this.tokens = tokens;
    const bits = Math.max(0, Math.min(24, Math.floor(Math.log2(Math.max(1, tokens.length))) - BUCKET_SLACK));
    this.shift = 32 - bits;
    const buckets = 2 ** bits;
    this.starts = new Uint32Array(buckets + 1);
    let at = 0;
    for (let p = 0; p <= buckets; p++) {
      const floor = p * 2 ** this.shift;
      while (at < tokens.length && tokens[at]! < floor) at++;
      this.starts[p] = at;
    }
  }

  /**
   * Index of the first token >= `point`, or 0 when `point` is past the last token (the
   * wrap-around): a key belongs to the first virtual node clockwise from its hash, inclusive.
   */
  successor(point: number): number {
    const tokens = this.tokens;
    const bucket = this.shift === 32 ? 0 : point >>> this.shift;
    let lo = this.starts[bucket]!;
    let hi = this.starts[bucket + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tokens[mid]! < point) lo = mid + 1;
      else hi = mid;
    }
    return lo === tokens.length ? 0 : lo;
  }
}
