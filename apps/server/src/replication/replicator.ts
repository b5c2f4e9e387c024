import { ErrorCode, type VersionedEntry, ZkvError } from "@zkv/protocol";
import { HybridClock, isLive, newest, supersedes, type Versioned } from "../store/index.js";
import { Hints } from "./hints.js";
import { entryOf, type PeerBatcher, type PeerCopy } from "./peer-batcher.js";
import { awaitQuorum, countable, type PeerStates } from "./quorum.js";
import { awaitWriteQuorums } from "./write-quorums.js";

/** A replica's store as replication sees it: versioned copies, tombstones included. */
export interface ReplicaStore {
  copy(key: string): Versioned | undefined;
  /** Keeps `copy` when it supersedes the copy held; true when it did. */
  apply(key: string, copy: Versioned): boolean;
}

/** One write of a batch: a key's new value (undefined: a deletion) and its expiry. */
export interface BatchWrite {
  readonly key: string;
  readonly value: string | undefined;
  readonly expiresAt?: number | undefined;
}

/** A write that reached its quorum: whether a live value existed before it, and its version. */
export interface WriteResult {
  readonly existed: boolean;
  readonly version: number;
}

/** The cluster's replication settings: factor, and default write and read quorums. */
export interface ReplicationSettings {
  readonly n: number;
  readonly w: number;
  readonly r: number;
}

export interface ReplicatorOptions {
  readonly self: string;
  readonly store: ReplicaStore;
  readonly peers: PeerStates;
  readonly batcher: PeerBatcher;
  /** False while this node bootstraps: its own copy counts toward no quorum (default: serving). */
  readonly serving?: () => boolean;
  /** The key's replicas, in preference order (this node among them). */
  readonly replicasOf: (key: string) => readonly string[];
  readonly settings: () => ReplicationSettings;
  readonly timeoutMs: number;
  /** The node's clock (its store's), so every write on the node is versioned by one clock. */
  readonly clock?: HybridClock;
  /** Ms since the epoch, for telling expired copies (default Date.now). */
  readonly now?: () => number;
}

/**
 * A key's coordinator (any of its replicas the client reached). A write gets a version from the
 * clock, is applied here, and is sent to the other replicas; it is acknowledged once `w` of them
 * (this one included) hold it. A read asks `r` replicas, answers with the newest copy and repairs
 * the stale ones. Replicas that miss a write get it later from the hints. Nothing here waits on
 * a replica known to be down: with too few up, it refuses before writing anything.
 *
 * A bootstrapping replica (this node, or a peer that says so) is sent every write and every
 * repair, but counts toward neither quorum: it may not yet hold what it should, so its missing
 * copy means nothing. Too few serving replicas: NOT_ENOUGH_REPLICAS, never a wrong NOT_FOUND.
 */
export class Replicator {
  readonly clock: HybridClock;
  readonly hints: Hints;

  constructor(private readonly o: ReplicatorOptions) {
    this.clock = o.clock ?? new HybridClock();
    this.hints = new Hints(o.store, o.peers, o.batcher, o.replicasOf);
  }

  /**
   * Writes `value` (undefined: deletes), expiring at `expiresAt` if given, with quorum `w`;
   * resolves to whether a live value existed and the version written.
   */
  async write(
    key: string,
    value: string | undefined,
    w?: number,
    expiresAt?: number,
  ): Promise<{ existed: boolean; version: number }> {
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
    const n = writes.length;
    const results = new Array<WriteResult | ZkvError>(n);
    const needed = new Int32Array(n);
    const asked = new Int32Array(n);
    const self = this.#selfServing();
    const selfCount = self ? 1 : 0;
    const wanted = w ?? this.o.settings().w;
    const now = (this.o.now ?? Date.now)();
    const perPeer = new Map<string, { entries: VersionedEntry[]; writes: number[] }>();
    let waiting = false;
    for (let i = 0; i < n; i++) {
      const { key, value, expiresAt } = writes[i]!;
      let plan: { others: string[]; needed: number };
      try {
        plan = this.#plan(key, wanted, "w");
      } catch (err) {
        results[i] = err as ZkvError;
        continue;
      }
      const { up, bootstrapping, count } = countable(self, plan.others, this.o.peers);
      if (count < plan.needed) {
        results[i] = notEnough(key, plan.needed, count, bootstrapping, "write");
        continue;
      }
      const before = this.o.store.copy(key);
      const version = this.clock.next(before?.version);
      const copy: Versioned =
        value !== undefined && expiresAt !== undefined ? { value, version, expiresAt } : { value, version };
      this.o.store.apply(key, copy);
      for (const p of plan.others) if (!up.includes(p)) this.hints.add(p, key);
      for (const p of up) {
        let send = perPeer.get(p);
        if (send === undefined) {
          send = { entries: [], writes: [] };
          perPeer.set(p, send);
        }
        send.entries.push(entryOf(key, copy));
        send.writes.push(i);
      }
      results[i] = { existed: isLive(before, now), version };
      needed[i] = plan.needed - selfCount;
      asked[i] = up.length;
      if (needed[i]! > 0) waiting = true;
    }
    const sends = [...perPeer].map(([peer, { entries, writes: carried }]) => {
      const sent = this.o.batcher.replicateMany(peer, entries);
      sent.catch(() => {
        for (const e of entries) this.hints.add(peer, e.key);
      });
      return { sent, writes: carried };
    });
    if (!waiting) return Promise.resolve(results);
    return awaitWriteQuorums(sends, needed, asked, this.o.timeoutMs).then((quorums) => {
      quorums.forEach((q, i) => {
        if (q.ok || results[i] instanceof Error) return;
        // Copies went out already, so not NOT_ENOUGH_REPLICAS: the write may still become visible.
        const acked = selfCount + q.answered - q.uncounted;
        const uncounted = q.uncounted > 0 ? ` (${q.uncounted} more are bootstrapping)` : "";
        results[i] = new ZkvError(
          ErrorCode.QUORUM_TIMEOUT,
          `only ${acked} of ${needed[i]! + selfCount} replicas acknowledged the write in time${uncounted}`,
        );
      });
      return results;
    });
  }

  /** Reads with quorum `r`: the newest copy among the replicas asked (undefined: none has it). */
  async read(key: string, r?: number): Promise<Versioned | undefined> {
    const { others, needed } = this.#plan(key, r ?? this.o.settings().r, "r");
    const local = this.o.store.copy(key);
    const self = this.#selfServing();
    if (needed <= 1 && self) return local;
    const { up, bootstrapping, count } = countable(self, others, this.o.peers);
    if (count < needed) throw notEnough(key, needed, count, bootstrapping, "read");
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

  /** Read repair: the newest copy goes to this node and to every replica that answered with less. */
  #repair(key: string, best: Versioned | undefined, answers: ReadonlyMap<string, PeerCopy>) {
    if (best === undefined) return;
    this.clock.observe(best.version);
    this.o.store.apply(key, best);
    for (const [p, theirs] of answers) {
      if (supersedes(best, theirs.copy)) {
        this.o.batcher.replicate(p, key, best).catch(() => this.hints.add(p, key));
      }
    }
  }

  #selfServing(): boolean {
    return this.o.serving?.() ?? true;
  }

  #plan(key: string, wanted: number, what: "w" | "r") {
    const replicas = this.o.replicasOf(key);
    if (wanted > replicas.length) {
      throw new ZkvError(
        ErrorCode.INVALID_REQUEST,
        `${what}=${wanted} exceeds the key's ${replicas.length} replicas`,
        { field: what },
      );
    }
    return { others: replicas.filter((p) => p !== this.o.self), needed: wanted };
  }
}

function notEnough(
  key: string,
  needed: number,
  serving: number,
  bootstrapping: readonly string[],
  what: "write" | "read",
): ZkvError {
  const shown = JSON.stringify(key).slice(0, 80);
  const booting = bootstrapping.length > 0 ? ` (${bootstrapping.join(", ")} bootstrapping)` : "";
  const tail = what === "write" ? "; nothing was written" : "";
  return new ZkvError(
    ErrorCode.NOT_ENOUGH_REPLICAS,
    `${what} of ${shown} needs ${needed} replicas, ${serving} reachable and serving${booting}${tail}`,
  );
}
