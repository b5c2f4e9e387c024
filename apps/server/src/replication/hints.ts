import type { Versioned } from "../store/index.js";
import type { PeerBatcher } from "./peer-batcher.js";

/** How often pending hints are offered to replicas that are back. */
const REPLAY_MS = 500;
/** Keys sent to one replica per replay round. */
const REPLAY_BATCH = 2000;

/**
 * Hinted handoff: the keys each replica missed (it was down, or did not acknowledge in time).
 * Every half second, each replica that is up again is sent this node's current copy of its
 * hinted keys; a hint is dropped once the replica has applied the copy. The copy sent is the
 * newest this node holds, so replaying a hint twice, or after a newer write, is harmless.
 * Hints live in memory: a coordinator that crashes loses them, and read repair is what then
 * brings the replica up to date.
 */
export class Hints {
  readonly #byReplica = new Map<string, Set<string>>();
  readonly #timer: NodeJS.Timeout;
  #replaying = false;

  constructor(
    private readonly store: { copy(key: string): Versioned | undefined },
    private readonly peers: { isUp(peer: string): boolean },
    private readonly batcher: PeerBatcher,
    /** The key's replicas now: a hint for a node that stopped being one is dropped, not sent. */
    private readonly replicasOf: (key: string) => readonly string[],
  ) {
    this.#timer = setInterval(() => void this.replay(), REPLAY_MS);
    this.#timer.unref();
  }

  add(replica: string, key: string): void {
    const keys = this.#byReplica.get(replica);
    if (keys) keys.add(key);
    else this.#byReplica.set(replica, new Set([key]));
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

  /** One replay round (also run by the timer). */
  async replay(): Promise<void> {
    if (this.#replaying) return;
    this.#replaying = true;
    try {
      await Promise.all(
        [...this.#byReplica].map(async ([replica, keys]) => {
          if (!this.peers.isUp(replica)) return;
          const batch = [...keys].slice(0, REPLAY_BATCH);
          await Promise.all(
            batch.map(async (key) => {
              // Sent after a rebalance trimmed the key from that node, the copy would stay there
              // for good, on a node no read or trim looks at for it.
              if (!this.replicasOf(key).includes(replica)) return void keys.delete(key);
              const copy = this.store.copy(key);
              if (copy !== undefined) await this.batcher.replicate(replica, key, copy);
              keys.delete(key);
            }),
          ).catch(() => undefined); // still down: the remaining hints wait for the next round
          if (keys.size === 0) this.#byReplica.delete(replica);
        }),
      );
    } finally {
      this.#replaying = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
