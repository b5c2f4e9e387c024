import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { HintLog, Versioned } from "../store/index.js";
import type { PeerBatcher } from "./peer-batcher.js";

/** How often pending hints are offered to replicas that are back. */
const REPLAY_MS = 500;
/** Keys sent to one replica per replay round. */
const REPLAY_BATCH = 2000;
/**
 * Most hints kept for one replica. A hint costs ~80 bytes of memory for a 20-character key
 * (measured, Node 20) and a row on disk, so a replica down through millions of writes cannot
 * exhaust its coordinator; past the cap, read repair and anti-entropy bring that replica up to date.
 */
export const DEFAULT_MAX_HINTS_PER_REPLICA = 500_000;

export interface HintsOptions {
  readonly store: { copy(key: string): Versioned | undefined };
  readonly peers: { isUp(peer: string): boolean };
  readonly batcher: PeerBatcher;
  /** The key's replicas now: a hint for a node that stopped being one is dropped, not sent. */
  readonly replicasOf: (key: string) => readonly string[];
  /**
   * False while the node does not know the cluster's placement yet (just started): nothing is
   * replayed or dropped then, since replicasOf cannot be trusted. Default: always known.
   */
  readonly placementKnown?: () => boolean;
  /** False for a node that left the cluster: its hints are dropped. Default: every node is a member. */
  readonly isMember?: (replica: string) => boolean;
  /** Where hints outlive the process (a durable store's); absent: memory only. */
  readonly log?: HintLog | undefined;
  /** Default DEFAULT_MAX_HINTS_PER_REPLICA. */
  readonly maxPerReplica?: number;
  /** Told the first time a replica's hints reach the cap (and again after they drained). */
  readonly onCapped?: (replica: string, cap: number) => void;
}

/**
 * Hinted handoff: the keys each replica missed (it was down, or did not acknowledge in time).
 * Every half second, each replica that is up again is sent this node's current copy of its
 * hinted keys; a hint is dropped once the replica has applied the copy. The copy sent is the
 * newest this node holds, so replaying a hint twice, or after a newer write, is harmless.
 *
 * With a data dir the hints are kept in it too (HintLog), so a coordinator that crashes delivers
 * them after its restart; without one they live in memory and die with the process. Either way a
 * hint is recorded only once the replica has missed the write, so a crash in the instant between
 * the write and the miss loses it; read repair and anti-entropy make up for lost hints. At most
 * `maxPerReplica` per replica: further misses of a replica at the cap are counted (`dropped`),
 * not recorded.
 */
export class Hints {
  readonly #byReplica: Map<string, Set<string>>;
  readonly #timer: NodeJS.Timeout;
  readonly #max: number;
  readonly #capped = new Set<string>();
  #replaying = false;
  #dropped = 0;

  constructor(private readonly o: HintsOptions) {
    this.#byReplica = o.log?.load() ?? new Map();
    this.#max = o.maxPerReplica ?? DEFAULT_MAX_HINTS_PER_REPLICA;
    this.#timer = setInterval(() => void this.replay(), REPLAY_MS);
    this.#timer.unref();
  }

  add(replica: string, key: string): void {
    const keys = this.#byReplica.get(replica) ?? new Set<string>();
    if (keys.has(key)) return;
    if (keys.size === 0) this.#byReplica.set(replica, keys);
    if (keys.size >= this.#max) {
      this.#dropped++;
      if (!this.#capped.has(replica)) {
        this.#capped.add(replica);
        this.o.onCapped?.(replica, this.#max);
      }
      return;
    }
    keys.add(key);
    this.o.log?.add(replica, key);
  }

  /** True while some replica still has to be sent `key`. */
  has(key: string): boolean {
    for (const keys of this.#byReplica.values()) if (keys.has(key)) return true;
    return false;
  }

  /** Hints pending, per replica: for STATS and tests. */
  pending(): Record<string, number> {
    return Object.fromEntries([...this.#byReplica].map(([r, keys]) => [r, keys.size]));
  }

  /** Misses not recorded because their replica's hints were at the cap, since start. */
  get dropped(): number {
    return this.#dropped;
  }

  /** One replay round (also run by the timer). */
  async replay(): Promise<void> {
    if (this.#replaying || this.o.placementKnown?.() === false) return;
    this.#replaying = true;
    try {
      await Promise.all([...this.#byReplica].map(([replica, keys]) => this.#replayTo(replica, keys)));
    } finally {
      this.#replaying = false;
    }
  }

  async #replayTo(replica: string, keys: Set<string>): Promise<void> {
    if (this.o.isMember?.(replica) === false) {
      for (const key of keys) this.#forget(replica, keys, key);
    } else if (this.o.peers.isUp(replica)) {
      const batch = [...keys].slice(0, REPLAY_BATCH);
      await Promise.all(batch.map((key) => this.#send(replica, keys, key))).catch(() => undefined); // still down: the remaining hints wait for the next round
    }
    this.#dropIfEmpty(replica, keys);
  }

  /**
   * Delivers now every hint for a key of `dropping`, keys this node is about to forget (a trim):
   * once the key is gone here, a hint for it has nothing left to send, and a replica that missed
   * the write would miss it for good. Rejects with TRY_AGAIN, having delivered what it could,
   * while a hinted replica is down or does not take its copy: the key must stay until it does.
   */
  async deliver(dropping: ReadonlySet<string>): Promise<void> {
    const unreached: string[] = [];
    await Promise.all(
      [...this.#byReplica].map(async ([replica, keys]) => {
        const due = [...keys].filter((key) => dropping.has(key));
        if (due.length === 0) return;
        if (this.o.isMember?.(replica) === false) {
          for (const key of due) this.#forget(replica, keys, key);
        } else if (!this.o.peers.isUp(replica)) {
          unreached.push(replica);
        } else {
          await Promise.all(due.map((key) => this.#send(replica, keys, key))).catch(() =>
            unreached.push(replica),
          );
        }
        this.#dropIfEmpty(replica, keys);
      }),
    );
    if (unreached.length > 0) {
      throw new ZkvError(
        ErrorCode.TRY_AGAIN,
        `copies this node would drop are still owed to ${unreached.sort().join(", ")}; retry once it is reachable`,
      );
    }
  }

  /** Sends `replica` this node's copy of hinted `key`; the hint is forgotten once it is applied. */
  async #send(replica: string, keys: Set<string>, key: string): Promise<void> {
    // Sent after a rebalance trimmed the key from that node, the copy would stay there
    // for good, on a node no read or trim looks at for it.
    if (!this.o.replicasOf(key).includes(replica)) return this.#forget(replica, keys, key);
    const copy = this.o.store.copy(key);
    if (copy !== undefined) await this.o.batcher.replicate(replica, key, copy);
    // A write that came in meanwhile may have missed the replica too: keep the hint for it.
    if (this.o.store.copy(key)?.version === copy?.version) this.#forget(replica, keys, key);
  }

  #dropIfEmpty(replica: string, keys: Set<string>): void {
    if (keys.size === 0 && this.#byReplica.get(replica) === keys) {
      this.#byReplica.delete(replica);
      this.#capped.delete(replica);
    }
  }

  #forget(replica: string, keys: Set<string>, key: string): void {
    if (keys.delete(key)) this.o.log?.remove(replica, key);
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
