import { AE_TREE_DEPTH, type TreeNodeSummary } from "@zkv/protocol";
import type { Store, Versioned } from "../store/index.js";
import type { KeyListing, ReplicaSide } from "./exchange.js";
import { EMPTY_NODE } from "./hash-tree.js";
import { DEFAULT_SCAN_LIMITS, leafSummaries, listLeaves, type ScanLimits } from "./leaf-scan.js";
import type { RangeTrees } from "./range-trees.js";
import type { LeafAsk, NodeAsk, RangeRoot } from "./tree-diff.js";

/** What a node's own side needs: its trees, and the store they describe. */
export interface LocalSideOptions {
  readonly self: string;
  /** The other replica: roots cover the ranges both replicate. */
  readonly peer: string;
  readonly trees: RangeTrees;
  readonly store: Pick<Store, "keys" | "versionOf" | "copy" | "apply" | "clock" | "sync">;
  readonly limits?: ScanLimits;
  /**
   * Whether this node replicates `key` in its view now (default: every key). A pulled copy is
   * kept only then: a round can outlast a rebalance that took the key from this node.
   */
  readonly holds?: (key: string) => boolean;
}

/**
 * A node's own side of a comparison with `peer`: answers from its trees and store. The same
 * object answers a peer's AE_ROOTS / AE_HASHES / AE_KEYS, so both ends of an exchange compute
 * their answers alike.
 */
export class LocalSide implements ReplicaSide {
  constructor(private readonly o: LocalSideOptions) {}

  async roots(): Promise<RangeRoot[]> {
    return this.o.trees
      .shared(this.o.self, this.o.peer)
      .map((r) => ({ replicas: r.replicas, root: r.tree.summary(0, 0) }));
  }

  /** Stored levels from the trees; the leaves with one pass over the keys, for all asks at once. */
  async hashes(asks: readonly NodeAsk[]): Promise<TreeNodeSummary[][]> {
    const leafAsks = asks.filter((a) => a.level === AE_TREE_DEPTH);
    const leaves =
      leafAsks.length === 0 ? [] : await leafSummaries(this.o.store, this.o.trees, leafAsks, this.#limits);
    let next = 0;
    return asks.map((ask) => {
      if (ask.level === AE_TREE_DEPTH) return leaves[next++]!;
      const tree = this.o.trees.tree(ask.replicas);
      return ask.nodes.map((i) => (tree ? tree.summary(ask.level, i) : EMPTY_NODE));
    });
  }

  keys(asks: readonly LeafAsk[]): Promise<KeyListing[]> {
    return listLeaves(this.o.store, this.o.trees, asks, this.#limits);
  }

  get #limits(): ScanLimits {
    return this.o.limits ?? DEFAULT_SCAN_LIMITS;
  }

  async read(keys: readonly string[]): Promise<Array<Versioned | undefined>> {
    return keys.map((k) => this.o.store.copy(k));
  }

  /** Applies the newer copies, as REPLICATE would; resolves once they are durable. */
  async write(copies: ReadonlyArray<readonly [string, Versioned]>): Promise<number> {
    const { store } = this.o;
    let applied = 0;
    for (const [key, copy] of copies) {
      store.clock.observe(copy.version);
      if (this.o.holds?.(key) === false) continue;
      if (store.apply(key, copy)) applied++;
    }
    await store.sync();
    return applied;
  }
}
