import {
  type ConsulConfig,
  CURVE_KEY_META,
  type Member,
  MembershipWatcher,
  REPLICA_STATE_META,
} from "@zkv/membership";
import type { ReplicaHandoffReply } from "@zkv/protocol";
import { AntiEntropy, DEFAULT_ANTI_ENTROPY_INTERVAL_MS } from "../anti-entropy/anti-entropy.js";
import { RangeTrees } from "../anti-entropy/range-trees.js";
import { TrackedStore } from "../anti-entropy/tracked-store.js";
import type { ClusterView } from "../cluster/ownership.js";
import type { Logger } from "../logger.js";
import type { Store } from "../store/index.js";
import { logPullReport, type PullReport, pullFromSources, type ReplicaState } from "./bootstrap.js";
import { ConditionalWrites } from "./conditional.js";
import { keyReplicas } from "./key-replicas.js";
import { PeerBatcher } from "./peer-batcher.js";
import { type CurveIdentity, PeerLinks } from "./peer-links.js";
import type { ReplicaContext } from "./replica-ops.js";
import { Replicator } from "./replicator.js";
import { DEFAULT_TOMBSTONE_TTL_MS, TombstonePurger } from "./tombstones.js";

/** How long a coordinator waits for its replicas before answering QUORUM_TIMEOUT. */
export const REPLICA_TIMEOUT_MS = 2000;
/** Keys a source scans per page of a bootstrap pull, and how long the page may take. */
const PULL_PAGE_KEYS = 2000;
const PULL_PAGE_TIMEOUT_MS = 30_000;
/** How long a bootstrapping node waits for a replica that is down before serving without it. */
export const BOOTSTRAP_GIVE_UP_MS = 15_000;
const BOOTSTRAP_RETRY_MS = 250;

export interface NodeReplicationOptions {
  readonly nodeId: string;
  readonly consul: ConsulConfig;
  readonly store: Store;
  /** Who owns what, and the replication setting in force (followed from Consul). */
  readonly cluster: ClusterView;
  /** With CURVE, peers are reached with the node's own keypair (see README, Security). */
  readonly curve?: CurveIdentity;
  readonly logger: Logger;
  /** How long deletions are remembered (default 24 h). */
  readonly tombstoneTtlMs?: number;
  /** The node's memory budget (`--max-memory`), checked by the coordinator of each write. */
  readonly maxBytes?: number | undefined;
  /** The node starts without the copies it should hold: it bootstraps before it counts. */
  readonly startsEmpty: boolean;
  /** How long bootstrap waits for a replica that is down (default BOOTSTRAP_GIVE_UP_MS). */
  readonly bootstrapGiveUpMs?: number | undefined;
  /** Told once the node serves after bootstrapping (to say so in Consul, mark its data dir). */
  readonly onServing?: () => Promise<void>;
  /** Pause between background anti-entropy passes (default 60 s); 0: only on REPAIR. */
  readonly antiEntropyIntervalMs?: number | undefined;
}

/**
 * A node's part in replication: links to its peers, kept in step with Consul's view of the
 * members (addresses, health, CURVE keys, bootstrapping), the Replicator that coordinates the key
 * requests this node receives and answers its peers' REPLICATE / REPLICA_GET, and the node's
 * state: bootstrapping (started empty) until bootstrap() has its copies, then serving. Its
 * anti-entropy keeps a hash tree per range over `store`, the node's store as every part of the
 * node must write it (each write updates the trees).
 *
 * Every Consul node has one, but it is `active` only while the cluster keeps more than one copy
 * of each key (the factor is followed from Consul: `zkv set-replication` changes it online); a
 * node that never replicates opens no peer link and builds no tree.
 */
export class NodeReplication {
  readonly context: ReplicaContext;
  /** The node's store, its writes followed by the anti-entropy trees. */
  readonly store: TrackedStore;
  readonly antiEntropy: AntiEntropy;
  readonly #peers: PeerLinks;
  readonly #watcher: MembershipWatcher;
  readonly #replicator: Replicator;
  readonly #purger: TombstonePurger;
  readonly #closed = new AbortController();
  readonly #trees = new RangeTrees();
  #activating: Promise<void> | undefined;
  #state: ReplicaState;

  constructor(private readonly o: NodeReplicationOptions) {
    // A node of a one-copy cluster holds all its keys: there is nothing to take from anyone.
    this.#state = o.startsEmpty && this.active ? "bootstrapping" : "serving";
    const trees = this.#trees;
    const store = new TrackedStore(
      o.store,
      (key, before, after) => trees.update(key, before, after),
      () => this.active,
    );
    this.store = store;
    this.#peers = new PeerLinks(o.nodeId, o.curve);
    this.#watcher = new MembershipWatcher({ consul: o.consul, logger: o.logger });
    const replicasOf = keyReplicas(o.cluster, o.nodeId);
    this.#replicator = new Replicator({
      self: o.nodeId,
      store,
      peers: this.#peers,
      batcher: new PeerBatcher(this.#peers, REPLICA_TIMEOUT_MS),
      replicasOf,
      readReplicasOf: (key) => o.cluster.readReplicasOf(key) ?? [o.nodeId],
      gainedReplicasOf: (key, read) => o.cluster.gainedReplicasOf(key, read),
      nextPlacementReplicasOf: (key) => o.cluster.nextPlacementReplicasOf(key),
      settings: () => o.cluster.replication,
      timeoutMs: REPLICA_TIMEOUT_MS,
      clock: store.clock,
      now: () => store.now(),
      serving: () => this.#state === "serving",
      hints: {
        log: o.store.hintLog?.(),
        placementKnown: () => o.cluster.placement !== undefined,
        isMember: (id) =>
          (o.cluster.placement?.nodes.includes(id) ?? true) ||
          (o.cluster.migration?.next.nodes.includes(id) ?? false),
        onCapped: (replica, cap) =>
          o.logger.warn(
            { replica, cap },
            "hints for this replica reached the cap: further misses are not recorded (read repair and anti-entropy bring it up to date)",
          ),
      },
    });
    const conditional = new ConditionalWrites({
      self: o.nodeId,
      primaryOf: (key) => o.cluster.replicasOf(key)?.[0],
      replicator: this.#replicator,
      store,
      maxBytes: o.maxBytes,
    });
    this.antiEntropy = new AntiEntropy({
      self: o.nodeId,
      store,
      trees,
      cluster: o.cluster,
      links: this.#peers,
      push: (peer, key, copy) => this.#replicator.push(peer, key, copy),
      holds: (key) => this.#replicator.holds(key),
      serving: () => this.#state === "serving",
      intervalMs: o.antiEntropyIntervalMs ?? DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
      logger: o.logger,
    });
    this.context = {
      replicator: this.#replicator,
      store,
      conditional,
      antiEntropy: this.antiEntropy,
      state: () => this.#state,
      active: () => this.active,
      hints: this.#replicator.hints,
      unreachablePeers: () => this.#peers.unreachable(),
      holds: (key) => this.#replicator.holds(key),
      ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
    };
    const hints = this.#replicator.hints;
    this.#purger = new TombstonePurger(store, o.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS, (key) =>
      hints.has(key),
    );
  }

  get state(): ReplicaState {
    return this.#state;
  }

  /** True while the cluster keeps more than one copy of each key (a change of n included). */
  get active(): boolean {
    return this.o.cluster.replicas > 1;
  }

  /** Starts replicating if the cluster replicates; followSetting() starts it later otherwise. */
  async start(): Promise<void> {
    if (this.active) await this.#activate();
  }

  /**
   * Told each time the replication setting changed: a node of a one-copy cluster starts its peer
   * links and anti-entropy when the factor rises, and its trees are dropped when it falls to one
   * (nothing to compare; writes stop paying for them).
   */
  async followSetting(): Promise<void> {
    if (this.active) await this.#activate();
    else this.#trees.reset();
  }

  #activate(): Promise<void> {
    this.#activating ??= (async () => {
      this.#peers.update(peersOf(await this.#watcher.start()));
      this.#watcher.on("change", (members: Member[]) => this.#peers.update(peersOf(members)));
      this.antiEntropy.start();
      this.o.logger.info({ replication: this.o.cluster.replication }, "replicating");
    })();
    return this.#activating;
  }

  /**
   * Takes this node's copies from every other member (each sends the keys whose replicas include
   * this node, REPLICA_HANDOFF `to`), then serves. Run once the node is registered, so it is sent
   * the writes that arrive meanwhile. Resolves to the report, or undefined if there was nothing
   * to do (serving already) or the node closed first.
   */
  async bootstrap(): Promise<PullReport | undefined> {
    if (this.#state === "serving") return undefined;
    const { cluster, nodeId, logger } = this.o;
    // The members now and after a rebalance under way: asked again while pulling, so a member
    // removed meanwhile is not waited for.
    const members = () =>
      new Set([...(cluster.placement?.nodes ?? []), ...(cluster.migration?.next.nodes ?? [])]);
    const sources = [...members()].filter((m) => m !== nodeId);
    logger.info({ sources }, "bootstrapping: taking this node's copies from the other replicas");
    const report = await pullFromSources({
      sources,
      isUp: (p) => this.#peers.isUp(p),
      isSource: (p) => cluster.placement === undefined || members().has(p),
      pull: async (source, after) => {
        const request = { op: "REPLICA_HANDOFF" as const, to: nodeId, limit: PULL_PAGE_KEYS, after };
        const reply = (await this.#peers.request(
          source,
          request,
          PULL_PAGE_TIMEOUT_MS,
        )) as ReplicaHandoffReply;
        return { after: reply.after, pushed: reply.pushed };
      },
      giveUpMs: this.o.bootstrapGiveUpMs ?? BOOTSTRAP_GIVE_UP_MS,
      retryMs: BOOTSTRAP_RETRY_MS,
      onError: (source, err) =>
        logger.debug({ source, err: (err as Error).message }, "pull failed; retrying"),
      signal: this.#closed.signal,
    });
    if (this.#closed.signal.aborted) return undefined;
    logPullReport(this.o.logger, report, sources, (p) => this.#peers.isServing(p));
    this.#state = "serving";
    await this.o.onServing?.().catch((err: unknown) => logger.error({ err }, "could not announce serving"));
    return report;
  }

  close(): void {
    this.#closed.abort();
    this.antiEntropy.close();
    this.#purger.close();
    this.#watcher.close();
    this.#replicator.close();
    this.#peers.close();
  }
}

function peersOf(members: readonly Member[]) {
  return members.map((m) => ({
    id: m.id,
    address: m.address,
    port: m.port,
    healthy: m.health !== "critical",
    bootstrapping: m.meta[REPLICA_STATE_META] === "bootstrapping",
    ...(m.meta[CURVE_KEY_META] ? { curveKey: m.meta[CURVE_KEY_META] } : {}),
  }));
}
