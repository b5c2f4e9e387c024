import { copiesOfReplicate, type ReplicaGetReply, type Reply } from "@zkv/protocol";
import { ConditionalWrites } from "../../src/replication/conditional.js";
import { PeerBatcher } from "../../src/replication/peer-batcher.js";
import type { PeerRequest } from "../../src/replication/peer-links.js";
import { Replicator } from "../../src/replication/replicator.js";
import { copyOf, HybridClock, supersedes, type Versioned } from "../../src/store/versions.js";

/**
 * N in-process replicas wired by a fake transport that can lose or black-hole peers, and mark
 * some bootstrapping (they apply copies and answer, saying so; their coordinators do not count
 * themselves). `announced` is who the others know to be bootstrapping before they ask.
 */
export class FakeCluster {
  readonly stores = new Map<string, Map<string, Versioned>>();
  readonly replicators = new Map<string, Replicator>();
  /** Each node's conditional writes; the key's primary is the first id, as in a preference list. */
  readonly conditionals = new Map<string, ConditionalWrites>();
  readonly down = new Set<string>();
  /** Up by every sign, but never answers: its requests time out, as PeerLinks' do. */
  readonly silent = new Set<string>();
  readonly bootstrapping = new Set<string>();
  /** Whom coordinators believe bootstrapping (Consul meta) before any answer says otherwise. */
  readonly announced = new Set<string>();
  /** A rebalance under way (see migrate()): every key's replicas now and in the next placement. */
  moving: { readonly current: string[]; readonly next: string[] } | undefined;
  /** What each coordinator's peers last answered: serving or not (as PeerLinks remembers it). */
  readonly answered = new Map<string, Map<string, boolean>>();

  constructor(
    readonly ids: string[],
    settings = { n: 3, w: 2, r: 2 },
    /** Replicas reads ask (the first readN ids): fewer than n while the factor rises. */
    readN = settings.n,
    /** Each node's wall clock (default Date.now): a test may make time pass between operations. */
    nowMs?: () => number,
  ) {
    for (const self of ids) {
      const map = new Map<string, Versioned>();
      this.stores.set(self, map);
      const store = {
        copy: (k: string) => map.get(k),
        versionOf: (k: string) => map.get(k)?.version,
        apply: (k: string, c: Versioned) => {
          if (!supersedes(c, map.get(k))) return false;
          map.set(k, c);
          return true;
        },
      };
      const answered = new Map<string, boolean>();
      this.answered.set(self, answered);
      const transport = {
        request: async (peer: string, req: PeerRequest, timeoutMs: number) => {
          const reply = await this.#deliver(peer, req, timeoutMs);
          answered.set(peer, (reply as { bootstrapping?: boolean }).bootstrapping !== true);
          return reply;
        },
      };
      const replicator = new Replicator({
        self,
        store,
        peers: {
          isUp: (p) => !this.down.has(p),
          isServing: (p) => answered.get(p) ?? !this.announced.has(p),
        },
        serving: () => !this.bootstrapping.has(self),
        batcher: new PeerBatcher(transport, 200),
        replicasOf: () =>
          this.moving === undefined
            ? ids.slice(0, settings.n)
            : [
                ...this.moving.current,
                ...this.moving.next.filter((id) => !this.moving!.current.includes(id)),
              ],
        gainedReplicasOf: () =>
          this.moving === undefined
            ? 0
            : this.moving.next.filter((id) => !this.moving!.current.includes(id)).length,
        nextPlacementReplicasOf: () => this.moving?.next,
        readReplicasOf: () => ids.slice(0, readN),
        settings: () => settings,
        timeoutMs: 200,
        clock: nowMs === undefined ? undefined : new HybridClock(nowMs),
      });
      this.replicators.set(self, replicator);
      const conditionalStore = { now: Date.now, copy: store.copy, bytes: 0, reclaim: () => 0 };
      this.conditionals.set(
        self,
        new ConditionalWrites({ self, primaryOf: () => ids[0], replicator, store: conditionalStore }),
      );
    }
  }

  /** Starts a rebalance: every key's replicas are `current`, and will be `next` (as a node sees it). */
  migrate(current: string[], next: string[]): void {
    this.moving = { current, next };
  }

  get(id: string): Replicator {
    return this.replicators.get(id)!;
  }

  async #deliver(peer: string, req: PeerRequest, timeoutMs: number): Promise<Reply> {
    if (this.down.has(peer)) throw new Error(`${peer} is down`);
    if (this.silent.has(peer)) {
      return new Promise<Reply>((_, reject) =>
        setTimeout(() => reject(new Error(`${peer} did not answer`)), timeoutMs),
      );
    }
    const target = this.get(peer);
    const map = this.stores.get(peer)!;
    const flag = this.bootstrapping.has(peer) ? { bootstrapping: true as const } : {};
    if (req.op === "REPLICATE") {
      for (const e of copiesOfReplicate(req)) target.applyCopy(e.key, copyOf(e));
      return { ok: true, ...flag };
    }
    if (req.op !== "REPLICA_GET") throw new Error(`${req.op} is not faked`);
    const entries = req.keys.map((key) => ({ key, ...map.get(key) }));
    return { entries, ...flag } as ReplicaGetReply;
  }

  close(): void {
    for (const r of this.replicators.values()) r.close();
  }
}
