import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { ClusterView } from "../cluster/ownership.js";
import type { Logger } from "../logger.js";
import type { Store } from "../store/index.js";
import type { RangeTrees } from "./range-trees.js";

/** Up to this many keys the trees are built in one go (~25 ms); above, a slice at a time. */
const BUILD_AT_ONCE_KEYS = 20_000;
/** CPU one slice of a build takes before the node serves requests again. */
const BUILD_SLICE_MS = 10;

export interface TreeKeeperOptions {
  /** The node's store, as its trees see it (a TrackedStore). */
  readonly store: Store;
  readonly trees: RangeTrees;
  readonly cluster: ClusterView;
  readonly logger: Logger;
  /** CPU per slice of a large build (default BUILD_SLICE_MS); 0 gives one chunk per slice. */
  readonly sliceMs?: number;
}

/**
 * Keeps a node's hash trees built for the placement and replication factor in force (ranges
 * follow both). A store of up to BUILD_AT_ONCE_KEYS is rebuilt at once; a larger one a slice at
 * a time between the node's other work (about 1.3 s of CPU per million keys in all), so a node
 * holding millions of keys keeps answering while its trees are rebuilt after a rebalance.
 */
export class TreeKeeper {
  #building: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly o: TreeKeeperOptions) {}

  /**
   * The epoch the trees are complete for. When they are stale, starts rebuilding them and
   * answers TRY_AGAIN until they are done (at once when the store is small).
   */
  current(): number {
    const { cluster, trees, store } = this.o;
    const placement = cluster.placement;
    if (placement === undefined) throw new ZkvError(ErrorCode.TRY_AGAIN, "cluster placement not known yet");
    if (trees.epoch === cluster.epoch && trees.n === cluster.replicas) return trees.epoch;
    const under = trees.building;
    if (under === undefined || under.epoch !== cluster.epoch || trees.n !== cluster.replicas) {
      const started = performance.now();
      if (store.size <= BUILD_AT_ONCE_KEYS) {
        trees.rebuild(cluster.epoch, placement, cluster.replicas, store);
        this.#logBuilt(started);
        return trees.epoch;
      }
      trees.beginRebuild(cluster.epoch, placement, cluster.replicas, store);
      this.#building ??= this.#buildInSlices(started);
    }
    const keys = trees.building?.keys ?? store.size;
    throw new ZkvError(
      ErrorCode.TRY_AGAIN,
      `anti-entropy trees are being built (${keys} keys): compare later`,
    );
  }

  /** Settles once the build under way is over; undefined when none runs. */
  get building(): Promise<void> | undefined {
    return this.#building;
  }

  /** Stops a build under way after its current slice. */
  close(): void {
    this.#closed = true;
  }

  async #buildInSlices(started: number): Promise<void> {
    const { trees, store } = this.o;
    const sliceMs = this.o.sliceMs ?? BUILD_SLICE_MS;
    try {
      while (!this.#closed && trees.building !== undefined) {
        await new Promise((resolve) => setImmediate(resolve));
        if (trees.stepRebuild(store, sliceMs) && trees.building === undefined) this.#logBuilt(started);
      }
    } catch (err) {
      // The store failed or closed under the build: no half-built trees, the next comparison
      // starts over (a rejected build would also reach the background pass that awaits it).
      trees.reset();
      this.o.logger.warn({ err }, "anti-entropy tree build stopped");
    } finally {
      this.#building = undefined;
    }
  }

  #logBuilt(started: number): void {
    const { cluster, trees, store, logger } = this.o;
    const ms = Math.round(performance.now() - started);
    logger.info(
      { epoch: cluster.epoch, ranges: trees.size, keys: store.size, ms },
      "anti-entropy trees built",
    );
  }
}
