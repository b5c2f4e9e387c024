import {
  type ConsulConfig,
  CURVE_KEY_META,
  type Member,
  MembershipWatcher,
  type Replication,
} from "@zkv/membership";
import type { Logger } from "../logger.js";
import type { ClusterView } from "../ownership.js";
import type { Store } from "../store/index.js";
import { ConditionalWrites } from "./conditional.js";
import { PeerBatcher } from "./peer-batcher.js";
import { type CurveIdentity, PeerLinks } from "./peer-links.js";
import type { ReplicaContext } from "./replica-ops.js";
import { Replicator } from "./replicator.js";
import { DEFAULT_TOMBSTONE_TTL_MS, TombstonePurger } from "./tombstones.js";

/** How long a coordinator waits for its replicas before answering QUORUM_TIMEOUT. */
export const REPLICA_TIMEOUT_MS = 2000;

export interface NodeReplicationOptions {
  readonly nodeId: string;
  readonly consul: ConsulConfig;
  readonly store: Store;
  readonly cluster: ClusterView;
  readonly settings: Replication;
  /** With CURVE, peers are reached with the node's own keypair (see README, Security). */
  readonly curve?: CurveIdentity;
  readonly logger: Logger;
  /** How long deletions are remembered (default 24 h). */
  readonly tombstoneTtlMs?: number;
  /** The node's memory budget (`--max-memory`), checked by the coordinator of each write. */
  readonly maxBytes?: number | undefined;
}

/**
 * A node's part in replication (factor > 1): links to its peers, kept in step with Consul's view
 * of the members (addresses, health, CURVE keys), and the Replicator that coordinates the key
 * requests this node receives and answers its peers' REPLICATE / REPLICA_GET.
 */
export class NodeReplication {
  readonly context: ReplicaContext;
  readonly #peers: PeerLinks;
  readonly #watcher: MembershipWatcher;
  readonly #replicator: Replicator;
  readonly #purger: TombstonePurger;

  constructor(private readonly o: NodeReplicationOptions) {
    o.cluster.replicas = o.settings.n;
    this.#peers = new PeerLinks(o.nodeId, o.curve);
    this.#watcher = new MembershipWatcher({ consul: o.consul, logger: o.logger });
    this.#replicator = new Replicator({
      self: o.nodeId,
      store: o.store,
      peers: this.#peers,
      batcher: new PeerBatcher(this.#peers, REPLICA_TIMEOUT_MS),
      replicasOf: (key) => o.cluster.replicasOf(key) ?? [o.nodeId],
      settings: () => o.settings,
      timeoutMs: REPLICA_TIMEOUT_MS,
      clock: o.store.clock,
      now: () => o.store.now(),
    });
    const conditional = new ConditionalWrites({
      self: o.nodeId,
      primaryOf: (key) => o.cluster.replicasOf(key)?.[0],
      replicator: this.#replicator,
      store: o.store,
      maxBytes: o.maxBytes,
    });
    this.context = {
      replicator: this.#replicator,
      store: o.store,
      conditional,
      ...(o.maxBytes === undefined ? {} : { maxBytes: o.maxBytes }),
    };
    const hints = this.#replicator.hints;
    this.#purger = new TombstonePurger(o.store, o.tombstoneTtlMs ?? DEFAULT_TOMBSTONE_TTL_MS, (key) =>
      hints.has(key),
    );
  }

  /** Hints waiting per replica, for STATS. */
  get pendingHints(): Record<string, number> {
    return this.#replicator.hints.pending();
  }

  async start(): Promise<void> {
    this.#peers.update(peersOf(await this.#watcher.start()));
    this.#watcher.on("change", (members: Member[]) => this.#peers.update(peersOf(members)));
    this.o.logger.info({ replication: this.o.settings }, "replicating");
  }

  close(): void {
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
    ...(m.meta[CURVE_KEY_META] ? { curveKey: m.meta[CURVE_KEY_META] } : {}),
  }));
}
