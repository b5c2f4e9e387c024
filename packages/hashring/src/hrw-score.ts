/**
 * The per-(key, node) random draw of rendezvous hashing, kept apart from the placement class so
 * its exact arithmetic (which fixes every key's owner) is in one small, pinned place.
 *
 * Each node has two 32-bit seeds, hashed from its id once at construction. For a key hash `k`:
 *
 *   a = mix32(k ^ seedA), b = mix32(k ^ seedB) >>> 12
 *   h = (a * 2^20 + b + 0.5) / 2^52          (52 random bits, strictly inside (0, 1))
 *   score = -weight / ln(h)                    (the logarithmic method; highest score wins)
 *
 * `-ln(h) / w` is an exponential variable with rate w and the score is its inverse, so node i wins with
 * probability w_i / sum(w) exactly, and removing a node leaves the others' scores untouched (only
 * its keys move). Two seeds, not one: with a single 32-bit seed, two ids whose seeds collided would
 * draw identical h for every key and the lower-id node would win them all, starving the other.
 */

/**
 * A bijective 32-bit mixer ("lowbias32", Chris Wellons' hash-prospector): strong avalanche for
 * two multiplies, so `mix32(k ^ seed)` behaves as an independent draw per seed.
 */
export function mix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO_20 = 2 ** 20;
const TWO_MINUS_52 = 2 ** -52;

/** The uniform draw h in (0, 1) for a key hash and a node's two seeds; see the module comment. */
export function drawUnit(keyHash: number, seedA: number, seedB: number): number {
  return unitFrom(mix32(keyHash ^ seedA), mix32(keyHash ^ seedB));
}

/**
 * Joins two 32-bit mixes into h = (a * 2^20 + (b >>> 12) + 0.5) / 2^52: 52 bits, so the sum is
 * exact in a float64 and h can be neither 0 (ln would be -Infinity) nor 1 (ln would be 0).
 */
export function unitFrom(a: number, b: number): number {
  return (a * TWO_20 + (b >>> 12) + 0.5) * TWO_MINUS_52;
}

/** The weighted HRW score of a draw: larger wins. Always positive, since ln(h) < 0. */
export function weightedScore(weight: number, unit: number): number {
  return -weight / Math.log(unit);
}
