import { createPlacement, type Placement } from "@zkv/hashring";
import type { EffectiveReplication } from "@zkv/membership";
import { ErrorCode, type PlacementSpec, ZkvError } from "@zkv/protocol";
import type { Store } from "../store/index.js";
import { Migration } from "./migration.js";

/** What a node decides for a key request: serve it here, or answer with this error. */
export type Decision = "serve" | ZkvError;

/** Builds a placement from its wire form. */
export function placementOf(spec: PlacementSpec): Placement {
  return createPlacement(spec.hashing, spec.members);
}

/**
 * A node's view of who owns what: the cluster's current placement and, during a rebalance, the
 * migration towards the next one. Without a placement (a phase-1 static cluster) the node serves
 * every key it is sent. The rules, for a key k with current owner `cur` and next owner `next`:
 *
 * - `asking` (sent only after an ASK from k's current owner): serve;
 * - `cur` is another node: WRONG_NODE, owner `cur` (the client's placement is stale);
 * - no migration, or k stays here: serve;
 * - k is fenced (fetched, not yet committed): TRY_AGAIN;
 * - k is still held here (value or tombstone): serve, so its move carries the latest write;
 * - otherwise k has moved (or is new): ASK, owner `next`.
 */
export class ClusterView {
  #current: Placement | undefined;
  #epoch = -1;
  #migration: Migration | undefined;
  /**
   * Set once the node has read the cluster's placement from Consul, even if there is none (a
   * lone node without cluster_size); before that a starting node cannot tell its keys.
   */
  loaded = false;
  /**
   * The replication in force (Consul's `zkv/replication`, as ClusterFollower pushes it): keys are
   * written to `n` replicas (during a change of n, the old and new ones together) and read from
   * the first `readN`. One copy of each key until told otherwise.
   */
  #replication: EffectiveReplication = {
    n: 1,
    w: 1,
    readN: 1,
    r: 1,
    nextN: 1,
    tag: undefined,
    changing: false,
  };

  constructor(readonly self: string) {}

  /** Copies of each key a write reaches: a node serves every key it holds a copy of. */
  get replicas(): number {
    return this.#replication.n;
  }

  set replicas(n: number) {
    this.#replication = { ...this.#replication, n, readN: n, nextN: n };
  }

  get replication(): EffectiveReplication {
    return this.#replication;
  }

  /** Adopts the replication setting in force; true when it changed. */
  setReplication(replication: EffectiveReplication): boolean {
    if (JSON.stringify(replication) === JSON.stringify(this.#replication)) return false;
    this.#replication = replication;
    return true;
  }

  /**
   * The nodes holding `key`, owner first; during a rebalance, those of the current placement and
   * then those the key gains, so writes reach both and neither set misses one. Undefined before
   * a placement is known.
   */
  replicasOf(key: string): string[] | undefined {
    return this.#listOf(key, this.#replication.n);
  }

  /** The replicas a read of `key` asks: during a change of n, those of the setting reads follow. */
  readReplicasOf(key: string): string[] | undefined {
    return this.#listOf(key, this.#replication.readN);
  }

  /** The replicas `key` has once a change of n in progress is over. */
  nextReplicasOf(key: string): string[] | undefined {
    return this.#listOf(key, this.#replication.nextN);
  }

  /** During a rebalance, the replicas the next placement gives `key`; undefined otherwise. */
  nextPlacementReplicasOf(key: string): string[] | undefined {
    return this.#migration?.next.preferenceList(key, this.#replication.n);
  }

  /**
   * During a rebalance, how many of the replicas `replicasOf(key)` (or, for a read,
   * `readReplicasOf(key)`) lists only the next placement names: a quorum counted over both lists
   * needs that many answers more to hold w (or r) replicas of each. 0 otherwise.
   */
  gainedReplicasOf(key: string, read = false): number {
    if (this.#current === undefined || this.#migration === undefined) return 0;
    const n = read ? this.#replication.readN : this.#replication.n;
    const now = this.#current.preferenceList(key, n);
    let gained = 0;
    for (const id of this.#migration.next.preferenceList(key, n)) if (!now.includes(id)) gained++;
    return gained;
  }

  #listOf(key: string, n: number): string[] | undefined {
    const now = this.#current?.preferenceList(key, n);
    const next = this.#migration?.next.preferenceList(key, n);
    if (now === undefined || next === undefined) return now;
    return [...now, ...next.filter((id) => !now.includes(id))];
  }

  get placement(): Placement | undefined {
    return this.#current;
  }

  /** The epoch of the current placement; -1 before any is known. */
  get epoch(): number {
    return this.#epoch;
  }

  get migration(): Migration | undefined {
    return this.#migration;
  }

  /**
   * Adopts the cluster's placement at `epoch`, ending any migration. Older news (a lower epoch,
   * or the same epoch while a migration of it runs) is ignored: the rebalancer's messages and
   * Consul's pushes arrive by different paths, and a late one must never undo a newer state.
   */
  setPlacement(epoch: number, placement: Placement): boolean {
    if (epoch < this.#epoch || (epoch === this.#epoch && this.#migration !== undefined)) return false;
    this.#current = placement;
    this.#epoch = epoch;
    this.#migration = undefined;
    return true;
  }

  /**
   * Starts (or resumes, under a new run id) moving from `epoch` towards `next`. The same run again
   * is a no-op, so the rebalancer's message and the Consul push can both deliver it.
   */
  beginMigration(run: string, epoch: number, current: Placement, next: Placement): Migration | undefined {
    if (epoch < this.#epoch) return undefined;
    if (epoch > this.#epoch || this.#current === undefined) {
      this.#current = current;
      this.#epoch = epoch;
      this.#migration = undefined;
    }
    if (this.#migration === undefined) this.#migration = new Migration(run, next, this.self);
    else if (this.#migration.run !== run) this.#migration.takeOver(run);
    return this.#migration;
  }

  decide(key: string, asking: boolean | undefined, store: Store): Decision {
    if (asking) return "serve";
    // A node (re)starting serves before Consul has told it the placement: until then it cannot
    // know which keys are its own, and a write it took could land where no reader looks.
    if (!this.loaded && this.#current === undefined) {
      return new ZkvError(ErrorCode.TRY_AGAIN, "node is starting: cluster placement not known yet");
    }
    if (this.#current === undefined) return "serve";
    if (this.#replication.n > 1) {
      // Replicas move by handoff and trim, not by fences: a node serves every key it holds a
      // copy of now or will hold after the rebalance. With n at least the members and no
      // rebalance, every key's replicas are all of them: no lookup of the key (keyReplicas' rule).
      const nodes = this.#current.nodes;
      if (this.#migration === undefined && this.#replication.n >= nodes.length && nodes.includes(this.self))
        return "serve";
      const replicas = this.replicasOf(key)!;
      if (replicas.includes(this.self)) return "serve";
      return new ZkvError(ErrorCode.WRONG_NODE, `key belongs to ${replicas.join(", ")}`, {
        owner: replicas[0]!,
      });
    }
    const cur = this.#current.locate(key);
    if (cur !== this.self) {
      return new ZkvError(ErrorCode.WRONG_NODE, `key belongs to ${cur}`, { owner: cur });
    }
    const m = this.#migration;
    if (m === undefined || !m.leaving(key)) return "serve";
    if (m.fenced(key)) return new ZkvError(ErrorCode.TRY_AGAIN, "key is being moved; retry shortly");
    if (m.hasTombstone(key) || store.get(key) !== undefined) return "serve";
    const next = m.next.locate(key);
    return new ZkvError(ErrorCode.ASK, `key has moved to ${next}`, { owner: next });
  }
}
