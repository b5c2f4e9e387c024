/**
 * xxHash32 over ASCII strings: the runner-up in the hash choice, kept only so `pnpm bench` can
 * repeat the measurement that picked MurmurHash3 (see README). Not exported by the package.
 * Reference values checked at startup of the benchmark: XXH32("", 0) = 0x02cc5d05,
 * XXH32("a", 0) = 0x550d7456, XXH32("abc", 0) = 0x32d153ff.
 */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const word = (s: string, i: number) =>
  s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);

/** XXH32 of an ASCII string (each char is its own byte). */
export function xxhash32Ascii(s: string, seed = 0): number {
  const len = s.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; i <= len - 16; i += 16) {
      v1 = round(v1, word(s, i));
      v2 = round(v2, word(s, i + 4));
      v3 = round(v3, word(s, i + 8));
      v4 = round(v4, word(s, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(word(s, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(s.charCodeAt(i), P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  return (h ^ (h >>> 16)) >>> 0;
}
