import { ErrorCode, ZkvError } from "@zkv/protocol";
import { HybridClock, newest, supersedes, type Versioned } from "../store/index.js";
import { Hints } from "./hints.js";
import type { PeerCopy } from "./peer-batcher.js";
import { awaitQuorum } from "./quorum.js";
import { type Planner, planRead, planWrite, type ReadPlan } from "./quorum-plan.js";
import { notEnough, quorumTimeout } from "./replica-errors.js";
import type { BatchWrite, ReplicatorOptions, WritePlan, WriteResult } from "./replicator-options.js";
import { UnsureReplicas } from "./unsure-replicas.js";
import { type WritePassContext, writePass } from "./write-pass.js";

export type {
  BatchWrite,
  ReplicaStore,
  ReplicationSettings,
  ReplicatorOptions,
  WriteResult,
} from "./replicator-options.js";

/**
 * A key's coordinator (any of its replicas the client reached). A write gets a version from the
 * clock, is applied here, and is sent to the other replicas; it is acknowledged once `w` of them
 * (this one included) hold it. A read asks `r` replicas, answers with the newest copy and repairs
 * the stale ones. Replicas that miss a write get it later from the hints. Nothing here waits on
 * a replica known to be down: with too few up, it refuses before writing anything.
 *
 * A bootstrapping replica (this node, or a peer that says so) is sent every write and every
 * repair, and its ack counts toward `w`: the copy it keeps is real. It counts toward no read: it
 * may not yet hold what it should, so its missing copy means nothing. Too few serving replicas
 * for a read: NOT_ENOUGH_REPLICAS, never a wrong NOT_FOUND.
 */
export class Replicator {
  readonly clock: HybridClock;
  readonly hints: Hints;
  readonly #unsure: UnsureReplicas;
  /** What writePass uses of this replicator. */
  readonly #pass: WritePassContext;

  constructor(private readonly o: ReplicatorOptions) {
    this.clock = o.clock ?? new HybridClock();
    this.#unsure = new UnsureReplicas(o.self, o.peers, o.batcher);
    this.hints = new Hints({
      store: o.store,
      peers: o.peers,
      batcher: o.batcher,
      replicasOf: o.replicasOf,
      ...o.hints,
    });
    this.#pass = {
      o,
      clock: this.clock,
      hints: this.hints,
      plan: (key, w, replicas, split) => this.#writePlan(key, w, replicas, split),
    };
  }

  /**
   * Writes `value` (undefined: deletes), expiring at `expiresAt` if given, with quorum `w`;
   * resolves to whether a live value existed and the version written.
   */
  async write(key: string, value: string | undefined, w?: number, expiresAt?: number): Promise<WriteResult> {
    const [result] = await this.writeBatch([{ key, value, expiresAt }], w);
    if (result instanceof Error) throw result;
    return result!;
  }

  /**
   * Writes many keys at once, each exactly as write() would (versioned, applied here, sent to its
   * other replicas, acknowledged once `w` of them hold it), in order; resolves with each write's
   * result or the ZkvError it failed with, once every one has its quorum or has failed. All the
   * copies bound for one peer travel together and are acknowledged together (one promise per
   * peer, not per write), and one timer covers the batch.
   */
  writeBatch(writes: readonly BatchWrite[], w?: number): Promise<Array<WriteResult | ZkvError>> {
    return writePass(this.#pass, writes, w);
  }

  /**
   * A restore (PUT with `version`): keeps `copy`, which has its own version, here if it supersedes
   * this node's copy, and sends the newer of the two to the other replicas, which each keep the
   * newer again; acknowledged like a write. Resolves to whether it was applied here, and the
   * version the key holds here now.
   */
  async restore(key: string, copy: Versioned, w?: number): Promise<{ applied: boolean; version: number }> {
    const plan = this.#writePlan(key, w);
    this.clock.observe(copy.version);
    const applied = this.o.store.apply(key, copy);
    const held = applied ? copy : (this.o.store.copy(key) ?? copy);
    await this.#spread(key, held, plan);
    return { applied, version: held.version };
  }

  /**
   * Whether this node replicates `key` in its view now (during a rebalance or a change of n: now
   * or after it). Checked when a copy is about to be kept here, not only when a request arrived:
   * the view can move on (a rebalance ends, TRIM drops the key) while an operation waits for its
   * peers, and a copy kept here after that would stay on a node nothing trims again.
   */
  holds(key: string): boolean {
    return this.o.replicasOf(key).includes(this.o.self);
  }

  /** Who a write of `key` goes to; refuses (WRONG_NODE, NOT_ENOUGH_REPLICAS) before anything is written. */
  #writePlan(
    key: string,
    w: number | undefined,
    replicas = this.o.replicasOf(key),
    split = false,
  ): WritePlan {
    const gained = this.o.gainedReplicasOf?.(key, false) ?? 0;
    const next = split && gained > 0 ? this.o.nextPlacementReplicasOf?.(key) : undefined;
    return planWrite(key, replicas, w ?? this.o.settings().w, this.#planner(), gained, next);
  }

  /**
   * Sends `copy`, applied here already, to the key's other replicas (a hint for each one down or
   * failing) and waits until `needed` of them, this one included, hold it.
   */
  async #spread(key: string, copy: Versioned, { others, needed, up }: WritePlan): Promise<void> {
    for (const p of others) if (!up.includes(p)) this.hints.add(p, key);
    const sends = new Map(
      up.map((p) => {
        const sent = this.o.batcher.replicate(p, key, copy);
        sent.catch(() => this.hints.add(p, key));
        return [p, sent] as const;
      }),
    );
    const outcome = await awaitQuorum(sends, needed - 1, this.o.timeoutMs);
    if (!outcome.ok) throw quorumTimeout(1 + outcome.answers.size, needed);
  }

  /** Reads with quorum `r`: the newest copy among the replicas asked (undefined: none has it). */
  async read(key: string, r?: number): Promise<Versioned | undefined> {
    const replicas = (this.o.readReplicasOf ?? this.o.replicasOf)(key);
    const gained = this.o.gainedReplicasOf?.(key, true) ?? 0;
    const planOf = () => planRead(key, replicas, r ?? this.o.settings().r, this.#planner(), gained);
    let plan: ReadPlan;
    try {
      plan = planOf();
    } catch (err) {
      plan = await this.#replanned(err, key, replicas, planOf);
    }
    const { up, needed, self } = plan;
    const local = this.o.store.copy(key);
    if (needed <= 1 && self) return local;
    const asks = new Map(up.map((p) => [p, this.o.batcher.read(p, key)] as const));
    const selfCount = self ? 1 : 0;
    const outcome = await awaitQuorum(
      asks,
      needed - selfCount,
      this.o.timeoutMs,
      (p, late) => this.#repair(key, newest([local, late.copy]), new Map([[p, late]])),
      (answer) => answer.counts,
    );
    if (!outcome.ok) {
      const answered = selfCount + outcome.answers.size - outcome.uncounted;
      if (outcome.uncounted > 0 && !outcome.timedOut) {
        // A peer thought serving said it was bootstrapping: better unavailable than wrong.
        const booting = [...outcome.answers].filter(([, a]) => !a.counts).map(([p]) => p);
        throw notEnough(key, needed, answered, booting, "read");
      }
      throw new ZkvError(
        ErrorCode.QUORUM_TIMEOUT,
        `only ${answered} of ${needed} replicas answered the read in time`,
      );
    }
    // Every copy is real, a bootstrapping replica's too: the newest of all of them wins.
    const best = newest([local, ...[...outcome.answers.values()].map((a) => a.copy)]);
    this.#repair(key, best, outcome.answers);
    return best;
  }

  /** Sends this node's `copy` of `key` to `replica` (a handoff); resolves once it was applied. */
  async push(replica: string, key: string, copy: Versioned): Promise<void> {
    await this.o.batcher.replicate(replica, key, copy);
  }

  /** A copy sent by a coordinator: kept if newer. */
  applyCopy(key: string, copy: Versioned): void {
    this.clock.observe(copy.version);
    this.o.store.apply(key, copy);
  }

  close(): void {
    this.hints.close();
  }

  /**
   * Read repair: the newest copy goes to this node (if it still replicates the key: the read may
   * have outlasted a rebalance that took the key away) and to every replica that answered with less.
   */
  #repair(key: string, best: Versioned | undefined, answers: ReadonlyMap<string, PeerCopy>) {
    if (best === undefined) return;
    this.clock.observe(best.version);
    if (this.holds(key)) this.o.store.apply(key, best);
    for (const [p, theirs] of answers) {
      if (supersedes(best, theirs.copy)) {
        this.o.batcher.replicate(p, key, best).catch(() => this.hints.add(p, key));
      }
    }
  }

  /**
   * After `plan()` for `key` (over `replicas`) threw `err`: when it refused for want of serving
   * replicas while one of them is only thought to be bootstrapping, plan() again once that
   * replica has been asked and says it serves (see UnsureReplicas); else `err` stands. Called
   * only on a refusal, so a plan that succeeds costs no promise.
   */
  async #replanned<T>(err: unknown, key: string, replicas: readonly string[], plan: () => T): Promise<T> {
    if (!this.#unsure.refusedFor(err, replicas)) throw err;
    if (!(await this.#unsure.ask(key, replicas))) throw err;
    return plan();
  }

  #planner(): Planner {
    return { self: this.o.self, serving: this.o.serving?.() ?? true, peers: this.o.peers };
  }
}
