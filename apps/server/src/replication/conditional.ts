import { ErrorCode, type PutRequest, ZkvError } from "@zkv/protocol";
import {
  checkBudget,
  checkCondition,
  expiryOf,
  growthOf,
  isLive,
  makeRoom,
  type Store,
} from "../store/index.js";
import type { Replicator } from "./replicator.js";

export interface ConditionalWritesOptions {
  readonly self: string;
  /** The key's primary: the first of its preference list (undefined before a placement is known). */
  readonly primaryOf: (key: string) => string | undefined;
  readonly replicator: Replicator;
  readonly store: Pick<Store, "now" | "copy" | "bytes" | "reclaim">;
  readonly maxBytes?: number | undefined;
}

/**
 * Put-if-absent and compare-and-set on a replicated cluster. Last-write-wins cannot decide them
 * (two coordinators would each see the old version and both "win"), so each key has one decider:
 * its primary, the first node of its preference list. Another replica answers WRONG_NODE naming
 * the primary, and the client follows; while the primary is down, conditional writes of its keys
 * fail rather than being decided elsewhere. The primary runs a key's conditional writes one after
 * another (a promise chain per key): each reads the current version with the read quorum, checks
 * its condition, and writes with the write quorum before the next one reads.
 */
export class ConditionalWrites {
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(private readonly o: ConditionalWritesOptions) {}

  /** Decides `request` here if this node is the key's primary; resolves to the version written. */
  write(request: PutRequest): Promise<number> {
    const elsewhere = this.#decider(request.key);
    if (elsewhere !== undefined) return Promise.reject(elsewhere);
    const key = request.key;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.#decide(request));
    const tail = run.catch(() => undefined); // a failed write does not block the next one
    this.#chains.set(key, tail);
    void tail.then(() => {
      if (this.#chains.get(key) === tail) this.#chains.delete(key);
    });
    return run;
  }

  /** Keys with conditional writes queued or running: for tests. */
  get pending(): number {
    return this.#chains.size;
  }

  /** WRONG_NODE naming the key's primary when that is not this node; undefined when it is. */
  #decider(key: string): ZkvError | undefined {
    const primary = this.o.primaryOf(key);
    if (primary === undefined || primary === this.o.self) return undefined;
    return new ZkvError(ErrorCode.WRONG_NODE, `conditional writes of this key are decided by ${primary}`, {
      owner: primary,
    });
  }

  async #decide(request: PutRequest): Promise<number> {
    const { replicator, store } = this.o;
    // Asked again before the read and after it: a write queued behind others of its key, or a
    // read that outlasted the end of a rebalance, may find the key decided elsewhere by now, and
    // two deciders could both accept one version. Nothing is written before this answer.
    const before = this.#decider(request.key);
    if (before !== undefined) throw before;
    const current = await replicator.read(request.key);
    const after = this.#decider(request.key);
    if (after !== undefined) throw after;
    checkCondition(request, isLive(current, store.now()) ? current : undefined);
    const growth = growthOf(store, request.key, request.value);
    // Replicated, like every other write's reclaim: an expired key leaves a tombstone, or an older
    // copy on a replica that missed the expiring write would come back through read repair.
    makeRoom({ ...this.o, keepTombstones: true }, growth);
    checkBudget(this.o, growth);
    const expiresAt = expiryOf(request, store.now());
    const { version } = await replicator.write(request.key, request.value, request.w, expiresAt);
    return version;
  }
}
