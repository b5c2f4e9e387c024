import { AE_TREE_DEPTH, AE_TREE_FANOUT, type TreeNodeSummary } from "@zkv/protocol";

/** Bits of a child's index below its parent's: FANOUT is a power of two. */
export const FANOUT_BITS = Math.log2(AE_TREE_FANOUT);
/**
 * Levels kept in memory: every one but the leaves. A leaf holds about 30 keys in a range of a
 * million and there are 32768 of them, so keeping them would cost 400 KiB a range; a node
 * computes the leaves below the nodes it is asked about with one pass over its keys (leaf-scan.ts),
 * which it only needs when some level-2 node differs.
 */
export const STORED_DEPTH = AE_TREE_DEPTH - 1;

/** An empty node's summary: no key below it. */
export const EMPTY_NODE: TreeNodeSummary = ["0000000000000000", 0];

/**
 * The stored levels of a hash tree of fixed shape over the keys of one range: a root, FANOUT
 * nodes, FANOUT² nodes above the leaves (see STORED_DEPTH). Each node holds two 32-bit sums
 * (mod 2^32) of its keys' digests and the count of its keys. Sums,
 * not a hash of the children in order, so a node is a function of the set of (key, version) below
 * it whatever order they arrived in, and a write updates it in O(depth): subtract the old
 * digest, add the new (Cassandra's repair trees XOR rows the same way; a sum also tells two equal
 * digests from none). Memory: 1057 nodes × 12 bytes, about 12 KiB per range.
 */
export class HashTree {
  /** Per level (0 = root): lane A sums, lane B sums, key counts; level l has FANOUT^l nodes. */
  readonly #a: Uint32Array[] = [];
  readonly #b: Uint32Array[] = [];
  readonly #n: Uint32Array[] = [];

  constructor() {
    for (let level = 0; level <= STORED_DEPTH; level++) {
      const width = AE_TREE_FANOUT ** level;
      this.#a.push(new Uint32Array(width));
      this.#b.push(new Uint32Array(width));
      this.#n.push(new Uint32Array(width));
    }
  }

  /** Keys in the tree. */
  get size(): number {
    return this.#n[0]![0]!;
  }

  /** Adds one key's digest (lanes `a`, `b`) below `leaf` (an index at level AE_TREE_DEPTH). */
  add(leaf: number, a: number, b: number): void {
    this.#apply(leaf, a, b, 1);
  }

  /** Removes a digest added before; removing one never added breaks the tree (a caller bug). */
  remove(leaf: number, a: number, b: number): void {
    this.#apply(leaf, -a, -b, -1);
  }

  /** Stored node `index` of `level`: 16 hex digits of the two sums, and the key count. */
  summary(level: number, index: number): TreeNodeSummary {
    const count = this.#n[level]?.[index];
    if (count === undefined) throw new RangeError(`no stored node ${index} at level ${level}`);
    return summaryOf(this.#a[level]![index]!, this.#b[level]![index]!, count);
  }

  #apply(leaf: number, a: number, b: number, count: number): void {
    for (let level = STORED_DEPTH, i = leaf >>> FANOUT_BITS; level >= 0; level--, i >>>= FANOUT_BITS) {
      const sa = this.#a[level]!;
      const sb = this.#b[level]!;
      const n = this.#n[level]!;
      sa[i] = sa[i]! + a; // Uint32Array stores modulo 2^32
      sb[i] = sb[i]! + b;
      n[i] = n[i]! + count;
    }
  }
}

/** A node's summary from its sums and count, as it travels. */
export function summaryOf(a: number, b: number, count: number): TreeNodeSummary {
  return count === 0 ? EMPTY_NODE : [hex8(a) + hex8(b), count];
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}
