import { ErrorCode, type Reply, ZkvError } from "@zkv/protocol";
import type { Versioned } from "../store/index.js";
import { exchangeRound } from "./exchange.js";
import { LocalSide } from "./local-side.js";
import { type AePeerRequest, RemoteSide } from "./remote-side.js";
import { TreeKeeper, type TreeKeeperOptions } from "./tree-keeper.js";

/** How often a node compares its ranges with every co-replica by default (`--anti-entropy-interval`). */
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 60_000;
/** Longest one REPAIR request works before it answers `more` (the client sends it again). */
export const REPAIR_BUDGET_MS = 10_000;
/** Keys' worth of differing leaves listed per round. */
export const ROUND_KEYS = 50_000;
/**
 * How long a request to a peer may take: short when answered from memory (a peer that vanished
 * must not hold up the node's comparisons for long), longer when it scans every key it holds.
 */
const PEER_TIMEOUT_MS = 5_000;
const PEER_SCAN_TIMEOUT_MS = 30_000;

export interface AntiEntropyOptions extends TreeKeeperOptions {
  readonly self: string;
  readonly links: {
    request(peer: string, request: AePeerRequest, timeoutMs: number): Promise<Reply>;
    isUp(peer: string): boolean;
  };
  /** Sends a copy to a peer (REPLICATE, coalesced); resolves once applied there. */
  readonly push: (peer: string, key: string, copy: Versioned) => Promise<unknown>;
  /** Whether this node replicates `key` in its view now: a copy pulled for another key is not kept. */
  readonly holds: (key: string) => boolean;
  /** False while the node bootstraps (it does not hold what it should yet: nothing to compare). */
  readonly serving: () => boolean;
  /** Pause between background passes; 0: none (REPAIR still works). */
  readonly intervalMs: number;
}

/** What one comparison with one peer found and did (a REPAIR reply, without its node names). */
export interface Comparison {
  readonly ranges: number;
  readonly different: number;
  readonly repaired: number;
  readonly bytes: number;
  readonly more: boolean;
}

/** What /metrics reports of a node's anti-entropy. */
export interface AntiEntropyStats {
  readonly keysRepaired: number;
  readonly keysDifferent: number;
  readonly rangesCompared: number;
  readonly bytes: number;
  /** When this node last had compared every range with every co-replica (ms); undefined: never. */
  lastFullPass(): number | undefined;
}

/**
 * A node's anti-entropy: compares its ranges with each co-replica in the background every
 * `intervalMs` (one peer at a time, one comparison at a time on this node) and on demand
 * (REPAIR), and answers its peers' AE_ROOTS / AE_HASHES / AE_KEYS. Nothing runs while the node
 * bootstraps, before it knows the placement, or during a rebalance (ranges are moving); the trees
 * are rebuilt, once, after the placement changed (TreeKeeper).
 */
export class AntiEntropy implements AntiEntropyStats {
  keysRepaired = 0;
  keysDifferent = 0;
  rangesCompared = 0;
  bytes = 0;
  /** When each peer's last full comparison started, if it ran to the end. */
  readonly #lastCompared = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #keeper: TreeKeeper;

  constructor(private readonly o: AntiEntropyOptions) {
    this.#keeper = new TreeKeeper(o);
  }

  /**
   * Builds the trees now if the placement is known (a node restarted with its data dir and many
   * keys builds them a slice at a time, see TreeKeeper), then starts the background passes (none
   * with an interval of 0).
   */
  start(): void {
    const { cluster } = this.o;
    if (cluster.migration === undefined && cluster.replicas > 1 && !cluster.replication.changing) {
      try {
        this.#build();
      } catch {
        // TRY_AGAIN: a large store (a restart with a data dir) is built a slice at a time
      }
    }
    if (this.o.intervalMs > 0 && !this.#closed) this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#keeper.close();
    clearTimeout(this.#timer);
  }

  lastFullPass(): number | undefined {
    const peers = this.o.cluster.placement?.nodes.filter((p) => p !== this.o.self) ?? [];
    let oldest: number | undefined = Number.POSITIVE_INFINITY;
    for (const p of peers) oldest = Math.min(oldest, this.#lastCompared.get(p) ?? Number.NaN);
    return Number.isFinite(oldest) ? oldest : undefined;
  }

  /** REPAIR: compares every range shared with `peer`, for up to `budgetMs`. */
  repair(peer: string, budgetMs = REPAIR_BUDGET_MS): Promise<Comparison> {
    const members = this.o.cluster.placement?.nodes;
    if (peer === this.o.self || (members !== undefined && !members.includes(peer))) {
      throw new ZkvError(ErrorCode.INVALID_REQUEST, `${peer} is not another member of the placement`, {
        field: "peer",
      });
    }
    this.#ready();
    if (!this.o.links.isUp(peer))
      throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, `peer ${peer} is unreachable`);
    return this.#serialized(() => this.#compare(peer, budgetMs));
  }

  /** This node's side, answering a peer's AE request made at placement `epoch`. */
  side(peer: string, epoch: number): LocalSide {
    const here = this.#ready();
    if (epoch !== here) {
      throw new ZkvError(ErrorCode.TRY_AGAIN, `placement epoch here is ${here}, not ${epoch}: compare later`);
    }
    return this.#local(peer);
  }

  /**
   * The placement epoch the trees are at, rebuilt first if the placement changed; TRY_AGAIN when
   * there is nothing to compare yet.
   */
  #ready(): number {
    const { cluster } = this.o;
    if (!this.o.serving()) {
      throw new ZkvError(ErrorCode.TRY_AGAIN, "node is bootstrapping: anti-entropy waits until it serves");
    }
    if (cluster.placement === undefined) {
      throw new ZkvError(ErrorCode.TRY_AGAIN, "cluster placement not known yet");
    }
    if (cluster.migration !== undefined) {
      throw new ZkvError(ErrorCode.TRY_AGAIN, "a rebalance is in progress: anti-entropy waits for its end");
    }
    if (cluster.replication.changing) {
      throw new ZkvError(
        ErrorCode.TRY_AGAIN,
        "the replication factor is changing: anti-entropy waits for its end",
      );
    }
    if (cluster.replicas <= 1) {
      throw new ZkvError(ErrorCode.TRY_AGAIN, "the cluster keeps one copy of each key: nothing to compare");
    }
    return this.#build();
  }

  /** The epoch the trees are complete for; TRY_AGAIN while they are built (TreeKeeper). */
  #build(): number {
    return this.#keeper.current();
  }

  #local(peer: string): LocalSide {
    const { self, trees, store, holds } = this.o;
    return new LocalSide({ self, peer, trees, store, holds });
  }

  /** Rounds with `peer` until the trees agree or `budgetMs` has passed. */
  async #compare(peer: string, budgetMs: number): Promise<Comparison> {
    const epoch = this.#ready();
    const started = Date.now();
    const local = this.#local(peer);
    const remote = new RemoteSide({
      self: this.o.self,
      peer,
      epoch,
      request: (p, r, t) => this.o.links.request(p, r, t),
      push: this.o.push,
      timeoutMs: PEER_TIMEOUT_MS,
      scanTimeoutMs: PEER_SCAN_TIMEOUT_MS,
    });
    let ranges = 0;
    let different = 0;
    let repaired = 0;
    let more = true;
    try {
      for (let round = 0; more && !this.#closed; round++) {
        if (round > 0 && Date.now() - started >= budgetMs) break;
        if (round > 0) this.#ready(); // the placement may have moved on meanwhile
        const r = await exchangeRound(local, remote, ROUND_KEYS);
        if (round === 0) ranges = r.ranges;
        different += r.different;
        repaired += r.repaired;
        // A round that found nothing to move ends it: what still differs is in flight.
        more = r.more && r.different > 0;
      }
    } finally {
      this.bytes += remote.bytes;
      this.keysDifferent += different;
      this.keysRepaired += repaired;
      this.rangesCompared += ranges;
    }
    if (!more) this.#lastCompared.set(peer, started);
    return { ranges, different, repaired, bytes: remote.bytes, more };
  }

  /** One background pass: every other member that is up, one after another. */
  async #pass(): Promise<void> {
    try {
      this.#ready();
    } catch {
      // Trees being built: this pass compares once they are. Bootstrapping, rebalancing, or no
      // placement yet: the next pass will see.
      const building = this.#keeper.building;
      if (building === undefined) return;
      await building;
      if (this.#closed) return;
    }
    const peers = this.o.cluster.placement?.nodes ?? [];
    for (const peer of peers) {
      if (this.#closed) return;
      if (peer === this.o.self || !this.o.links.isUp(peer)) continue;
      try {
        const c = await this.#serialized(() => this.#compare(peer, Number.POSITIVE_INFINITY));
        if (c.different > 0) this.o.logger.info({ peer, ...c }, "anti-entropy repaired keys");
      } catch (err) {
        this.o.logger.debug({ peer, err: (err as Error).message }, "anti-entropy comparison failed");
      }
    }
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.#pass().finally(() => {
        if (!this.#closed) this.#schedule();
      });
    }, this.o.intervalMs);
    this.#timer.unref();
  }

  /** Runs `task` after every comparison queued before it: one at a time on a node. */
  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
