import { EventEmitter } from "node:events";
import { createPlacement } from "@zkv/hashring";
import {
  type BlockingWatch,
  ClusterSettings,
  type ConsulConfig,
  desiredNodes,
  effectiveReplication,
  type HashingMode,
  isMoving,
  type PlacementRecord,
  type ReplicationRecord,
} from "@zkv/membership";
import type { Logger } from "../logger.js";
import type { ClusterView } from "./ownership.js";

/**
 * Keeps a node's ClusterView in step with the placement record and the replication record in
 * Consul (push, through blocking queries): the current members, a rebalance in progress, the
 * replication factor and a change of it in progress (announced with a `replication` event), and
 * the node's own removal, which it announces with a `removed` event once it was a member and no
 * longer is.
 */
export class ClusterFollower extends EventEmitter<{ removed: []; replication: [] }> {
  #watch: BlockingWatch<PlacementRecord | undefined> | undefined;
  #replicationWatch: BlockingWatch<ReplicationRecord> | undefined;
  #hashing: HashingMode = "ring";
  #wasMember = false;

  constructor(
    private readonly consul: ConsulConfig,
    private readonly view: ClusterView,
    private readonly log: Logger,
  ) {
    super();
  }

  /**
   * Reads hashing, placement (derived from cluster_size until a record exists) and replication,
   * then follows them.
   */
  async start(): Promise<void> {
    const settings = new ClusterSettings(this.consul);
    this.#hashing = await settings.hashing();
    const initial = await settings.placement();
    if (initial) this.#apply(initial, true);
    this.#replicationWatch = settings.watchReplication(this.log);
    this.#adopt(await this.#replicationWatch.start());
    this.#replicationWatch.on("change", (record) => this.#adopt(record));
    // Loaded: with no placement at all (no record, no cluster_size) the node serves every key.
    this.view.loaded = true;
    this.#watch = settings.watchPlacement(this.log);
    // Read again by the watch: a change between the first read and this one is reported by no
    // later event, so it is applied here.
    const latest = await this.#watch.start();
    if (latest) this.#apply(latest);
    this.#watch.on("change", (record) => {
      if (record) this.#apply(record);
    });
  }

  /**
   * Reads the placement and the replication records now and adopts them, not waiting for the
   * watches: after Consul was out of reach their queries may hang for their whole wait (30 s)
   * while the records moved on (a rebalance committed meanwhile).
   */
  async refresh(): Promise<void> {
    const settings = new ClusterSettings(this.consul);
    const [placement, replication] = await Promise.all([settings.placement(), settings.replicationRecord()]);
    if (placement) this.#apply(placement);
    this.#adopt(replication.record);
  }

  close(): void {
    this.#watch?.close();
    this.#replicationWatch?.close();
  }

  #adopt(record: ReplicationRecord): void {
    const effective = effectiveReplication(record);
    if (!this.view.setReplication(effective)) return;
    this.log.info({ replication: effective }, "replication setting adopted");
    this.emit("replication");
  }

  /** `first`: the placement found at start; a node it does not name was removed while away. */
  #apply(record: PlacementRecord, first = false): void {
    const place = (members: PlacementRecord["members"]) => createPlacement(this.#hashing, members);
    const t = record.transition;
    // While an added node is joining, nothing moves: a key sent to it now would fail for clients
    // that cannot reach it yet, and be lost with it if it never starts.
    if (isMoving(t)) this.view.beginMigration(t.run, record.epoch, place(record.members), place(t.next));
    else if (this.view.setPlacement(record.epoch, place(record.members))) {
      this.log.info({ epoch: record.epoch, members: record.members.length }, "placement adopted");
    }
    const member = desiredNodes(record).some((n) => n.id === this.view.self);
    if (member) this.#wasMember = true;
    else if (this.#wasMember || first) {
      this.#wasMember = false;
      this.emit("removed");
    }
  }
}
