import type { Placement } from "@zkv/hashring";
import {
  type BlockingWatch,
  ClusterSettings,
  type ConsulConfig,
  effectiveReplication,
  type HashingMode,
  type Member,
  type MembershipLogger,
  MembershipWatcher,
  NO_REPLICATION,
  type PlacementRecord,
  type Replication,
  type ReplicationRecord,
} from "@zkv/membership";
import { CurveKeyError, ErrorCode, ZkvError } from "@zkv/protocol";
import { RankedReplicas, servingCoordinatorOf } from "./coordinator.js";
import { NodePool } from "./node-pool.js";
import { placementFor, placementKey, staticMembers } from "./placement.js";
import type { ClientCurve } from "./security.js";

/** Where the client learns the cluster from: Consul (phase 2) or a fixed list (phase 1). */
export type ClusterSource =
  | { readonly consul: ConsulConfig }
  | {
      readonly static: {
        readonly nodes: number;
        readonly host?: string;
        readonly basePort?: number;
        readonly hashing?: HashingMode;
        /** Replicas per key, as the nodes were started with (`--replicas`). Default 1. */
        readonly replicas?: number;
      };
    };

/** Where the cluster is and how to reach its nodes. */
export type ClusterOptions = ClusterSource & {
  /** Per-request timeout. Default 5 s. */
  readonly timeoutMs?: number;
  /** How long opening the view waits for the nodes' sockets. Default 3 s. */
  readonly connectTimeoutMs?: number;
  /** Talk CURVE to every node (see nodeSecurity); plaintext when absent. */
  readonly curve?: ClientCurve;
  readonly logger?: MembershipLogger;
};

/**
 * What a client knows of its cluster: who is registered (Consul's view, pushed, or a fixed list),
 * which node holds each key (placed by the desired membership, never by who is healthy right
 * now), how many copies there are, and a connection to every member (`nodes`).
 */
export class ClusterView {
  /** A connection to every member. */
  readonly nodes: NodePool;
  #members: Member[] = [];
  #placement: Placement | undefined;
  #placementKey = "";
  #record: PlacementRecord | undefined;
  #watcher: MembershipWatcher | undefined;
  #placementWatch: BlockingWatch<PlacementRecord | undefined> | undefined;
  #replicationWatch: BlockingWatch<ReplicationRecord> | undefined;
  #replication: ReplicationRecord;
  /** Replicas a key is routed to: during a change of n, the old and new ones together. */
  #routingN: number;
  /** The members ranked as coordinators of a key held by all of them (see coordinatorOf). */
  #everyMember: RankedReplicas | undefined;
  readonly #listeners = new Set<() => void>();
  #closing: Promise<void> | undefined;

  private constructor(
    readonly hashing: HashingMode,
    replication: ReplicationRecord,
    /** A static cluster places keys by its fixed list; a Consul one by its placement record. */
    private readonly fixed: boolean,
    options: ClusterOptions,
  ) {
    this.#replication = replication;
    this.#routingN = effectiveReplication(replication).n;
    this.nodes = new NodePool(options.timeoutMs ?? 5000, options.curve, options.connectTimeoutMs ?? 3000);
  }

  /** Replicas per key and the cluster's default quorums, as the cluster's setting says now. */
  get replication(): Replication {
    const { n, w, r } = this.#replication;
    return { n, w, r };
  }

  /** The replication record: the setting, and a change of it in progress (Consul only). */
  get replicationRecord(): ReplicationRecord {
    return this.#replication;
  }

  /** Reads membership and hashing, connects to every node, and starts following changes. */
  static async open(options: ClusterOptions): Promise<ClusterView> {
    if ("static" in options) {
      const s = options.static;
      if (options.curve && options.curve.serverKey === undefined)
        throw new CurveKeyError(
          "ZKV_CURVE_SERVER_KEY_FILE",
          "a static cluster with CURVE needs the nodes' public key",
        );
      const n = s.replicas ?? 1;
      const replication =
        n === 1 ? NO_REPLICATION : { n, w: Math.floor(n / 2) + 1, r: Math.floor(n / 2) + 1 };
      const view = new ClusterView(s.hashing ?? "ring", replication, true, options);
      await view.#apply(staticMembers(s.nodes, s.host ?? "127.0.0.1", s.basePort ?? 2000));
      return view;
    }
    const settings = new ClusterSettings(options.consul);
    const [hashing, replication] = await Promise.all([settings.hashing(), settings.replicationRecord()]);
    const view = new ClusterView(hashing, replication.record, false, options);
    try {
      const logger = options.logger ? { logger: options.logger } : {};
      const watcher = new MembershipWatcher({ consul: options.consul, ...logger });
      view.#watcher = watcher;
      // Each watch is listened to as soon as it starts: a change that comes while the view is
      // still reading the others would otherwise be dropped and the view kept stale until the
      // next one (a node seen bootstrapping long after it served). The view adopts each watch's
      // latest value at the end, so what arrives meanwhile is applied either way.
      await watcher.start();
      watcher.on("change", (m) => void view.#apply(m));
      const placementWatch = settings.watchPlacement(options.logger);
      view.#placementWatch = placementWatch;
      const record = await placementWatch.start();
      placementWatch.on("change", (next) => {
        if (!next) return;
        view.#record = next;
        void view.#apply(view.#members);
      });
      // Read before the check: a record the watch told of during this read is newer.
      const known = record ?? (await settings.placement());
      view.#record ??= known;
      // Followed, as nodes follow it: `zkv set-replication` changes the factor while clients run.
      const replicationWatch = settings.watchReplication(options.logger);
      view.#replicationWatch = replicationWatch;
      view.#followReplication(await replicationWatch.start());
      replicationWatch.on("change", (record) => {
        view.#followReplication(record);
        void view.#apply(view.#members);
      });
      await view.#apply(watcher.current() ?? []);
    } catch (err) {
      await view.close(); // a watch already started would keep long-polling Consul
      throw err;
    }
    return view;
  }

  /** The registered members as last seen (Consul's view, or the static list). */
  get members(): readonly Member[] {
    return this.#members;
  }

  /** The desired membership (Consul's placement record); undefined for a static cluster. */
  get placementRecord(): PlacementRecord | undefined {
    return this.#record;
  }

  /**
   * Calls `listener` each time the view has adopted a membership or placement change (after
   * connecting to new nodes). Returns a function that stops the calls.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The id of the node that owns `key` under the current placement. */
  ownerOf(key: string): string {
    if (!this.#placement) throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, "the cluster has no members");
    return this.#placement.locate(key);
  }

  /**
   * The nodes holding `key`, in the order they are tried: its owner first, then its other
   * replicas (during a change of the replication factor, the old and new ones together).
   */
  replicasOf(key: string): string[] {
    const n = this.#routingN;
    if (n === 1) return [this.ownerOf(key)];
    if (!this.#placement) throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, "the cluster has no members");
    return this.#placement.preferenceList(key, n);
  }

  /**
   * The replica that coordinates `key` (see coordinatorOf), one that serves while any does (see
   * servingCoordinatorOf): when every member holds every key (n at least the members), from the
   * members ranked once per placement, with no lookup of the key; otherwise from the key's own
   * replicas.
   */
  coordinatorOf(key: string): string {
    const placement = this.#placement;
    if (placement !== undefined && this.#routingN >= placement.nodes.length && placement.nodes.length > 1) {
      if (this.#everyMember?.replicas !== placement.nodes)
        this.#everyMember = new RankedReplicas(placement.nodes);
      const chosen =
        this.#everyMember.firstUp(this.nodes.serves) ?? this.#everyMember.firstUp(this.nodes.isUp);
      if (chosen !== undefined) return chosen;
    }
    return servingCoordinatorOf(this.replicasOf(key), this.nodes.serves, this.nodes.isUp);
  }

  /** The node that owns `key`, as registered (NODE_UNAVAILABLE when it is not registered). */
  locate(key: string): Member {
    const id = this.ownerOf(key);
    const member = this.#members.find((m) => m.id === id);
    if (!member)
      throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, `node ${id} owns the key but is not registered`);
    return member;
  }

  /** Stops following Consul and closes every connection; resolves once all is closed. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#watcher?.close();
    this.#placementWatch?.close();
    this.#replicationWatch?.close();
    await this.nodes.close();
  }

  #followReplication(record: ReplicationRecord): void {
    this.#replication = record;
    this.#routingN = effectiveReplication(record).n;
  }

  /** Adopts a membership view: placement, then connections, then the listeners are told. */
  async #apply(members: Member[]): Promise<void> {
    if (this.#closing) return;
    // Keys are placed by the desired membership when the cluster has one (Consul), else by the
    // static list; never by who is registered or healthy right now.
    const owners = this.#record?.members ?? (this.fixed ? members : []);
    const key = placementKey(this.hashing, owners);
    if (key !== this.#placementKey) {
      this.#placement = placementFor(this.hashing, owners);
      this.#placementKey = key;
    }
    this.#members = members;
    await this.nodes.adopt(members);
    if (!this.#closing) for (const listener of this.#listeners) listener();
  }
}
