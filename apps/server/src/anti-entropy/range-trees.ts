import { digest, type KeyHash, keyHash } from "./digest.js";
import { HashTree } from "./hash-tree.js";
import { TreeBuild } from "./tree-build.js";

/** What the trees need of a placement: its members (sorted, UTF-16 order) and each key's replicas. */
export interface PlacementView {
  readonly nodes: readonly string[];
  preferenceList(key: string, n: number): readonly string[];
}

/** One range and its tree; `replicas` sorted (UTF-16 order), so every replica names it alike. */
export interface RangeTree {
  readonly replicas: readonly string[];
  readonly tree: HashTree;
}

/** What a rebuild reads: every key held and its version (a tombstone's too). */
export interface VersionSource {
  keys(): Iterable<string>;
  versionOf(key: string): number | undefined;
}

/** A range's map key: a bit per member in a number while they fit in 52 bits, else their indices. */
export type RangeKey = number | string;

/**
 * A node's hash trees, one per range it holds keys of: a range is the set of keys that share one
 * replica set under a placement (for the ring, the arcs with the same preference list; for HRW,
 * the keys whose n highest scores are the same nodes), so two replicas of a range hold the same
 * keys and their trees must match. Built for one placement (`epoch`) by a full pass over the
 * store, then kept up to date write by write (`update`) under that same placement until rebuilt.
 * A range left with no key drops its tree.
 */
export class RangeTrees {
  readonly #trees = new Map<RangeKey, RangeTree>();
  #placement: PlacementView | undefined;
  #n = 0;
  /** Member → its index in the placement's (sorted) member list. */
  #index = new Map<string, number>();
  /** Every key's range when n covers every member (one range, all of them); else undefined. */
  #whole: { readonly id: RangeKey; readonly replicas: readonly string[] } | undefined;
  #epoch = -1;
  /** The build under way (beginRebuild), and the epoch it builds for. */
  #build: { readonly run: TreeBuild; readonly epoch: number } | undefined;

  /** The placement epoch the trees were built for; -1 before the first build and during one. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The replication factor the trees were (or are being) built for (0 before the first build). */
  get n(): number {
    return this.#n;
  }

  /** The epoch a build under way is for, and the keys it listed; undefined when none runs. */
  get building(): { readonly epoch: number; readonly keys: number } | undefined {
    return this.#build && { epoch: this.#build.epoch, keys: this.#build.run.size };
  }

  /** Forgets every tree until the next rebuild (the cluster stopped replicating). */
  reset(): void {
    this.#build = undefined;
    this.#trees.clear();
    this.#placement = undefined;
    this.#whole = undefined;
    this.#n = 0;
    this.#epoch = -1;
  }

  /** Ranges holding at least one key. */
  get size(): number {
    return this.#trees.size;
  }

  /** Forgets every tree and rebuilds them from `store` for `placement` (at `epoch`, `n` replicas), in one go. */
  rebuild(epoch: number, placement: PlacementView, n: number, store: VersionSource): void {
    this.beginRebuild(epoch, placement, n, store);
    this.stepRebuild(store, Number.POSITIVE_INFINITY);
  }

  /**
   * Forgets every tree and starts rebuilding them for `placement` (at `epoch`, `n` replicas) from
   * the keys `store` lists now; stepRebuild() does the work a slice at a time (see TreeBuild).
   * Until it is done the trees answer nothing (epoch -1) but follow every write.
   */
  beginRebuild(
    epoch: number,
    placement: PlacementView,
    n: number,
    store: VersionSource,
    /** Keys listed per look at the clock; tests make it small. */
    listChunk?: number,
  ): void {
    this.#trees.clear();
    this.#placement = placement;
    this.#n = n;
    this.#index = new Map(placement.nodes.map((id, i) => [id, i]));
    // A preference list of n >= members names them all (placement.ts): no lookup per write.
    this.#whole =
      n >= placement.nodes.length
        ? { id: this.#keyOf(placement.nodes)!, replicas: [...placement.nodes] }
        : undefined;
    this.#epoch = -1;
    this.#build = { run: new TreeBuild(store.keys(), listChunk), epoch };
  }

  /** Works on the build under way for about `budgetMs`; true once the trees are complete. */
  stepRebuild(store: VersionSource, budgetMs: number): boolean {
    const build = this.#build;
    if (build === undefined) return true;
    const done = build.run.step(budgetMs, (key) =>
      this.#apply(key, keyHash(key), undefined, store.versionOf(key)),
    );
    if (done) {
      this.#build = undefined;
      this.#epoch = build.epoch;
    }
    return done;
  }

  /** `key` went from `before` to `after` (versions; undefined: absent). Ignored until built. */
  update(key: string, before: number | undefined, after: number | undefined): void {
    if (this.#placement === undefined || before === after) return;
    const h = keyHash(key);
    if (this.#build !== undefined && !this.#build.run.admits(key, h.leaf)) return;
    this.#apply(key, h, before, after);
  }

  #apply(key: string, h: KeyHash, before: number | undefined, after: number | undefined): void {
    if (before === after) return;
    const whole = this.#whole;
    const replicas = whole?.replicas ?? this.#placement!.preferenceList(key, this.#n);
    const id = whole?.id ?? this.#keyOf(replicas)!; // a placement's own members are all indexed
    let range = this.#trees.get(id);
    if (range === undefined) {
      const sorted = [...replicas].sort((x, y) => this.#index.get(x)! - this.#index.get(y)!);
      range = { replicas: sorted, tree: new HashTree() };
      this.#trees.set(id, range);
    }
    if (before !== undefined) range.tree.remove(h.leaf, digest(h.a, before), digest(h.b, before));
    if (after !== undefined) range.tree.add(h.leaf, digest(h.a, after), digest(h.b, after));
    if (range.tree.size === 0) this.#trees.delete(id);
  }

  /** The map key of `key`'s range under the placement the trees were built for. */
  rangeKeyOf(key: string): RangeKey | undefined {
    const placement = this.#placement;
    if (this.#whole !== undefined) return this.#whole.id;
    return placement && this.#keyOf(placement.preferenceList(key, this.#n));
  }

  /** The map key of the range `replicas` (any order); undefined when one is not a member. */
  keyOf(replicas: readonly string[]): RangeKey | undefined {
    return this.#keyOf(replicas);
  }

  /** The tree of the range `replicas`; undefined when it holds no key here. */
  tree(replicas: readonly string[]): HashTree | undefined {
    const id = this.#keyOf(replicas);
    return id === undefined ? undefined : this.#trees.get(id)?.tree;
  }

  /** Every non-empty range whose replicas include both `self` and `peer`. */
  shared(self: string, peer: string): RangeTree[] {
    return [...this.#trees.values()].filter((r) => r.replicas.includes(self) && r.replicas.includes(peer));
  }

  /** Written for the write path: no sort and no string built while members fit in 52 bits. */
  #keyOf(replicas: readonly string[]): RangeKey | undefined {
    if (this.#index.size <= 52) {
      let bits = 0;
      for (const id of replicas) {
        const i = this.#index.get(id);
        if (i === undefined) return undefined;
        const bit = 2 ** i; // past 2^31: arithmetic, not bitwise operators
        if (Math.floor(bits / bit) % 2 === 0) bits += bit; // a duplicate id counts once
      }
      return bits;
    }
    const indices: number[] = [];
    for (const id of replicas) {
      const i = this.#index.get(id);
      if (i === undefined) return undefined;
      indices.push(i);
    }
    return [...new Set(indices)].sort((x, y) => x - y).join(",");
  }
}
