import { setImmediate as yieldToEvents } from "node:timers/promises";
import { AE_TREE_LEAVES, type TreeNodeSummary } from "@zkv/protocol";
import { digest, keyHash, leafOf } from "./digest.js";
import type { KeyListing } from "./exchange.js";
import { EMPTY_NODE, summaryOf } from "./hash-tree.js";
import type { RangeKey, RangeTrees, VersionSource } from "./range-trees.js";
import type { LeafAsk, NodeAsk } from "./tree-diff.js";

/** Bounds on one scan's answer, so a reply stays small whatever was asked. */
export interface ScanLimits {
  /** Keys listed at most; whole leaves past it are left out (the first asked are kept). */
  readonly maxKeys: number;
  /** Approximate JSON bytes of a listing at most; whole leaves past it are left out. */
  readonly maxBytes: number;
  /** Keys looked at between two yields to the event loop. */
  readonly sliceKeys: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxKeys: 60_000,
  maxBytes: 3 * 1024 * 1024,
  sliceKeys: 20_000,
};

/**
 * The leaves (level AE_TREE_DEPTH) a node does not keep: their summaries, or their keys with
 * their versions, found by one pass over every key held. Each key's leaf is one hash away, and
 * only a key in an asked leaf costs a placement lookup, so a pass costs about a hash per key (see
 * the bench). It yields to the event loop every `sliceKeys` keys, so the node keeps serving.
 */
export async function leafSummaries(
  store: VersionSource,
  trees: RangeTrees,
  asks: readonly NodeAsk[],
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
): Promise<TreeNodeSummary[][]> {
  const wanted = new WantedLeaves(
    trees,
    asks.map((a) => ({ replicas: a.replicas, leaves: a.nodes })),
  );
  const a = new Uint32Array(wanted.size);
  const b = new Uint32Array(wanted.size);
  const n = new Uint32Array(wanted.size);
  await scan(store, trees, wanted, limits.sliceKeys, (pos, key, version) => {
    const h = keyHash(key);
    a[pos] = a[pos]! + digest(h.a, version);
    b[pos] = b[pos]! + digest(h.b, version);
    n[pos] = n[pos]! + 1;
  });
  return wanted.slots.map((slots) =>
    slots.map((pos) => (pos < 0 ? EMPTY_NODE : summaryOf(a[pos]!, b[pos]!, n[pos]!))),
  );
}

/**
 * The keys of the asked leaves, with their versions: whole leaves, the first asked first, as
 * many as fit the limits (at least one); each listing names the leaves it holds.
 */
export async function listLeaves(
  store: VersionSource,
  trees: RangeTrees,
  asks: readonly LeafAsk[],
  limits: ScanLimits = DEFAULT_SCAN_LIMITS,
): Promise<KeyListing[]> {
  const wanted = new WantedLeaves(trees, asks);
  const lists: Array<Array<[string, number]>> = Array.from({ length: wanted.size }, () => []);
  let cutoff = wanted.size; // leaves at positions from here on are left out
  let total = 0;
  await scan(store, trees, wanted, limits.sliceKeys, (pos, key, version) => {
    if (pos >= cutoff) return;
    lists[pos]!.push([key, version]);
    total++;
    while (total > limits.maxKeys && cutoff > 1) total -= dropLast();
  });
  let bytes = 0;
  for (let pos = 0; pos < cutoff; pos++) {
    bytes += lists[pos]!.reduce((sum, [key]) => sum + key.length + 24, 8);
    if (bytes > limits.maxBytes && pos > 0) cutoff = pos;
  }
  return wanted.slots.map((slots, i) => {
    const leaves: number[] = [];
    const entries: Array<[string, number]> = [];
    slots.forEach((pos, j) => {
      if (pos >= cutoff) return;
      leaves.push(asks[i]!.leaves[j]!);
      if (pos >= 0) entries.push(...lists[pos]!);
    });
    return { leaves, entries };
  });

  function dropLast(): number {
    cutoff--;
    const dropped = lists[cutoff]!.length;
    lists[cutoff] = [];
    return dropped;
  }
}

/** The leaves a pass looks for, each numbered once (a position), in the order asked. */
class WantedLeaves {
  readonly mask = new Uint8Array(AE_TREE_LEAVES);
  /** Per ask, per leaf: its position, or -1 for a range this node's placement does not have. */
  readonly slots: number[][];
  readonly #positions = new Map<RangeKey, Map<number, number>>();
  size = 0;

  constructor(trees: RangeTrees, asks: readonly LeafAsk[]) {
    this.slots = asks.map((ask) => {
      const range = trees.keyOf(ask.replicas);
      let byLeaf = range === undefined ? undefined : this.#positions.get(range);
      if (range !== undefined && byLeaf === undefined) {
        byLeaf = new Map();
        this.#positions.set(range, byLeaf);
      }
      return ask.leaves.map((leaf) => {
        if (byLeaf === undefined) return -1;
        this.mask[leaf] = 1;
        let pos = byLeaf.get(leaf);
        if (pos === undefined) {
          pos = this.size++;
          byLeaf.set(leaf, pos);
        }
        return pos;
      });
    });
  }

  position(range: RangeKey, leaf: number): number | undefined {
    return this.#positions.get(range)?.get(leaf);
  }
}

async function scan(
  store: VersionSource,
  trees: RangeTrees,
  wanted: WantedLeaves,
  sliceKeys: number,
  visit: (pos: number, key: string, version: number) => void,
): Promise<void> {
  let looked = 0;
  for (const key of store.keys()) {
    if (++looked % sliceKeys === 0) await yieldToEvents();
    const leaf = leafOf(key);
    if (wanted.mask[leaf] === 0) continue;
    const range = trees.rangeKeyOf(key);
    const pos = range === undefined ? undefined : wanted.position(range, leaf);
    const version = pos === undefined ? undefined : store.versionOf(key);
    if (version !== undefined) visit(pos!, key, version);
  }
}
