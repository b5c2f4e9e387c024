import { type ConsulConfig, NodeRegistration, REPLICA_STATE_META } from "@zkv/membership";
import { ClusterFollower } from "../cluster/cluster-follower.js";
import { ClusterView } from "../cluster/ownership.js";
import { NodeReplication } from "../replication/node-replication.js";
import type { Store } from "../store/index.js";
import type { NodeOptions } from "./node-options.js";

/**
 * A node's part in a Consul cluster, which a static node has none of: its view of who owns what,
 * kept in step with the placement record (ClusterFollower); its registration, with a TTL health
 * check; and its replication, when the cluster keeps more than one copy of each key. Once the
 * placement removes the node it leaves Consul at once, and `removed` resolves.
 */
export class ClusterMember {
  /** Who owns what, as this node knows it. */
  readonly view: ClusterView;
  /** Active while the cluster keeps more than one copy of each key (followed from Consul). */
  readonly replication: NodeReplication;
  /** The store every part of the node must use: with replication, one its anti-entropy follows. */
  readonly store: Store;
  /** Resolves when the cluster removed this node (remove-node finished): time to shut down. */
  readonly removed: Promise<void>;
  readonly #follower: ClusterFollower;
  #registration: NodeRegistration | undefined;
  /** Whether the registration started, and whether the placement has removed this node. */
  #registered = false;
  #removedSeen = false;

  constructor(
    private readonly options: NodeOptions,
    private readonly consul: ConsulConfig,
    store: Store,
  ) {
    this.view = new ClusterView(options.nodeId);
    const initial = options.replication ?? { n: 1, w: 1, r: 1 };
    this.view.setReplication({
      readN: initial.n,
      nextN: initial.n,
      tag: undefined,
      changing: false,
      ...initial,
    });
    this.replication = replicationFor(options, consul, store, this.view, () =>
      this.#registration
        ? this.#registration.updateMeta({ [REPLICA_STATE_META]: "serving" })
        : Promise.resolve(),
    );
    this.store = this.replication.store;
    this.#follower = new ClusterFollower(consul, this.view, options.logger);
    this.#follower.on("replication", () => {
      this.replication
        .followSetting()
        .catch((err: unknown) => options.logger.error({ err }, "could not start replicating"));
    });
    let onRemoved: () => void = () => {};
    this.removed = new Promise((resolve) => {
      onRemoved = resolve;
    });
    this.#follower.on("removed", () => {
      options.logger.info({}, "removed from the cluster's placement");
      // Out of Consul at once, while it still redirects stragglers: a later add of the same id
      // must wait for a new process, never take this leaving one for the node it starts. (Removed
      // before it registered, it registers first, over any stale entry, and then leaves.)
      this.#removedSeen = true;
      if (this.#registered) void this.#registration?.close();
      onRemoved();
    });
  }

  /**
   * Follows the placement, starts replicating, and registers with `meta` (the node's metrics port,
   * CURVE key) beside its replica state; then a node that starts empty takes its copies. Call
   * close() when it rejects.
   */
  async start(meta: Record<string, string>): Promise<void> {
    const { options } = this;
    this.#registration = new NodeRegistration({
      consul: this.consul,
      nodeId: options.nodeId,
      address: options.advertise ?? options.host,
      port: options.port,
      weight: options.weight ?? 1,
      logger: options.logger,
      ...(options.ttlSeconds ? { ttlSeconds: options.ttlSeconds } : {}),
      meta: {
        ...meta,
        [REPLICA_STATE_META]: this.replication.state,
      },
      // Back from a partition: passing again only once the placement is the cluster's current one.
      catchUp: () => this.#follower.refresh(),
    });
    await this.#follower.start();
    await this.replication.start();
    await this.#registration.start();
    this.#registered = true;
    if (this.#removedSeen) void this.#registration.close();
    // Registered first, so the writes that arrive while it copies reach it too.
    void this.replication.bootstrap();
  }

  /** Stops replicating and following, and deregisters; safe to call whether start() ran or not. */
  async close(): Promise<void> {
    this.replication.close();
    this.#follower.close();
    await this.#registration?.close();
  }
}

/**
 * The replication of node `options` (active while its cluster keeps more than one copy). A node
 * starts empty only when told so or when its store is the default in-memory one. `announce`
 * tells Consul the node serves, once it has bootstrapped.
 */
function replicationFor(
  options: NodeOptions,
  consul: ConsulConfig,
  store: Store,
  cluster: ClusterView,
  announce: () => Promise<void>,
): NodeReplication {
  return new NodeReplication({
    nodeId: options.nodeId,
    consul,
    store,
    cluster,
    logger: options.logger,
    maxBytes: options.maxBytes,
    ...(options.curve ? { curve: options.curve.identity } : {}),
    startsEmpty: options.startsEmpty ?? options.store === undefined,
    bootstrapGiveUpMs: options.bootstrapGiveUpMs,
    antiEntropyIntervalMs: options.antiEntropyIntervalMs,
    onServing: async () => {
      await options.onBootstrapped?.();
      await announce();
    },
  });
}
