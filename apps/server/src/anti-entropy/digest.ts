import { hash32 } from "@zkv/hashring";
import { AE_TREE_LEAVES } from "@zkv/protocol";

/**
 * What a key contributes to its range's hash tree. A key's leaf and its two 32-bit lanes come
 * from two murmur3 hashes of the key (seeds of their own, so leaves do not follow ring positions);
 * its digest mixes each lane with the version. The value is left out on purpose: a version names
 * one write, so equal versions mean equal copies (the only exception, two coordinators issuing the
 * same microsecond to one key, is settled by read repair), and hashing values would cost every
 * write a pass over its value. It also makes an expired value and the tombstone it leaves behind
 * (same version) digest alike, so reclaiming one changes no tree.
 */

const SEED_A = 0x2545f491;
const SEED_B = 0x5bd1e995;
/** Leaves are the top bits of lane A: 1024 leaves, 10 bits. */
const LEAF_SHIFT = 32 - Math.log2(AE_TREE_LEAVES);

/** A key's place in a tree and the hashes its digests are made from. */
export interface KeyHash {
  readonly leaf: number;
  readonly a: number;
  readonly b: number;
}

/** Hashes `key` once; its digest at any version follows from this (see `digest`). */
export function keyHash(key: string): KeyHash {
  const a = hash32(key, SEED_A) >>> 0;
  return { leaf: a >>> LEAF_SHIFT, a, b: hash32(key, SEED_B) >>> 0 };
}

/** The leaf of `key` alone: the cheap test a scan for some leaves runs on every key. */
export function leafOf(key: string): number {
  return (hash32(key, SEED_A) >>> 0) >>> LEAF_SHIFT;
}

/** One lane of a key's digest at `version` (a safe integer, so up to 53 bits). */
export function digest(lane: number, version: number): number {
  const low = version >>> 0; // ToUint32: the version modulo 2^32
  const high = Math.floor(version / 0x1_0000_0000) >>> 0;
  return fmix32((fmix32((lane ^ low) >>> 0) + high) >>> 0);
}

/** murmur3's finalizer: every input bit flips each output bit with probability ~1/2. */
function fmix32(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
