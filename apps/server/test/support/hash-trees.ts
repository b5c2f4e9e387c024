import { AE_TREE_FANOUT } from "@zkv/protocol";
import fc from "fast-check";
import { digest, keyHash } from "../../src/anti-entropy/digest.js";
import { type HashTree, STORED_DEPTH } from "../../src/anti-entropy/hash-tree.js";

// Building and comparing anti-entropy hash trees in tests.

/** Adds `key` at `version` to a bare tree, as RangeTrees does. */
export function addTo(tree: HashTree, key: string, version: number): void {
  const h = keyHash(key);
  tree.add(h.leaf, digest(h.a, version), digest(h.b, version));
}

/** Every stored node of a tree, level by level: two trees with equal dumps are equal. */
export function dump(tree: HashTree): string[] {
  const out: string[] = [];
  for (let level = 0; level <= STORED_DEPTH; level++) {
    for (let i = 0; i < AE_TREE_FANOUT ** level; i++) out.push(tree.summary(level, i).join(":"));
  }
  return out;
}

/** Up to 60 entries of distinct short keys, each at a version. */
export const entries = fc.uniqueArray(fc.tuple(fc.string({ maxLength: 8 }), fc.nat(1_000_000)), {
  selector: ([key]) => key,
  maxLength: 60,
});
