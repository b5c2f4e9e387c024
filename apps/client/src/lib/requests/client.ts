import type { HashingMode, Member, PlacementRecord, Replication } from "@zkv/membership";
import { ErrorCode, type GetOneReply, type KeyValue, type Reply, ZkvError } from "@zkv/protocol";
import { type ClusterOptions, ClusterView } from "../cluster/cluster-view.js";
import type { OutgoingRequest } from "../cluster/node-connection.js";
import { BulkRun, type EntrySink } from "./bulk.js";
import { type PutOptions, type PutResult, putRequest, type VersionedValue } from "./put-options.js";
import { RoutedOutcome, routeKey, routeToOwner } from "./redirects.js";
import { type KeyCopies, scanCluster, scanCopies, scanNode } from "./scan.js";
import { type RestoreCounts, readVersions, restoreEntries, type VersionedEntry } from "./versioned-bulk.js";

export type { ClusterSource } from "../cluster/cluster-view.js";

export type ClientOptions = ClusterOptions & {
  /**
   * With replication, how many replicas must acknowledge each write (`w`) and answer each read
   * (`r`); the cluster's defaults (which overlap: r + w > n) when unset.
   */
  readonly w?: number;
  readonly r?: number;
};

/**
 * zkv's client: routes each key with the cluster's hashing to the node that owns it, over one
 * DEALER per node with many requests in flight, and follows membership pushed from Consul. A
 * key whose node is critical in Consul or not connected fails fast with NODE_UNAVAILABLE; keys
 * never silently go to a node that does not own them.
 */
export class ZkvClient {
  readonly #cluster: ClusterView;
  /** Extra fields of every write and read: this client's quorums, when it sets them. */
  readonly #writeQuorum: { w?: number };
  readonly #readQuorum: { r?: number };
  /** How every put() ends: its PutResult made from the reply (see RoutedOutcome). */
  readonly #putOutcome: RoutedOutcome<PutResult>;
  #closing: Promise<void> | undefined;
  readonly #closed: Promise<void>;
  #markClosed: () => void = () => {};

  private constructor(cluster: ClusterView, options: ClientOptions) {
    this.#cluster = cluster;
    this.#writeQuorum = options.w === undefined ? {} : { w: options.w };
    this.#readQuorum = options.r === undefined ? {} : { r: options.r };
    this.#putOutcome = new RoutedOutcome(cluster, putResult);
    this.#closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }

  /** Reads membership and hashing, connects to every node, and starts following changes. */
  static async connect(options: ClientOptions): Promise<ZkvClient> {
    return new ZkvClient(await ClusterView.open(options), options);
  }

  /** The cluster's placement algorithm. */
  get hashing(): HashingMode {
    return this.#cluster.hashing;
  }

  /** Replicas per key and the cluster's default quorums. */
  get replication(): Replication {
    return this.#cluster.replication;
  }

  /** The registered members as last seen (Consul's view, or the static list). */
  get members(): readonly Member[] {
    return this.#cluster.members;
  }

  /** The desired membership (Consul's placement record); undefined for a static cluster. */
  get placementRecord(): PlacementRecord | undefined {
    return this.#cluster.placementRecord;
  }

  /**
   * Calls `listener` each time the client has adopted a membership or placement change (after
   * connecting to new nodes), so a view of the cluster is pushed changes instead of polling.
   * Returns a function that stops the calls.
   */
  onChange(listener: () => void): () => void {
    return this.#cluster.onChange(listener);
  }

  /** The id of the node that owns `key` under the current placement. */
  ownerOf(key: string): string {
    return this.#cluster.ownerOf(key);
  }

  /** The nodes holding `key`, in the order they are tried: its owner first, then its other replicas. */
  replicasOf(key: string): string[] {
    return this.#cluster.replicasOf(key);
  }

  /** The node that owns `key`, as registered (NODE_UNAVAILABLE when it is not registered). */
  locate(key: string): Member {
    return this.#cluster.locate(key);
  }

  /**
   * Stores `value` under `key`, with an expiry or a condition when `options` say so (see
   * PutOptions). Resolves to the node that acknowledged the write and, when the node reported it
   * (conditional writes), the new version; rejects with CONFLICT when a condition failed and
   * OUT_OF_MEMORY when the node is full.
   */
  put(key: string, value: string, options?: PutOptions): Promise<PutResult> {
    // Not async: the result is made where the batcher settles the op (see RoutedOutcome).
    try {
      const request = putRequest(key, value, options);
      if (this.#writeQuorum.w !== undefined) request.w = this.#writeQuorum.w;
      return routeKey(this.#cluster, request, this.#putOutcome);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The value with its version (and expiry), for a compare-and-set; undefined when the key does not exist. */
  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    try {
      const request = { op: "GET_ONE" as const, key, withVersion: true, ...this.#readQuorum };
      const { reply } = await routeToOwner(this.#cluster, request);
      const { value, version, expiresAt } = reply as GetOneReply;
      if (version === undefined) throw new ZkvError(ErrorCode.INTERNAL, "the node sent no version");
      return expiresAt === undefined ? { value, version } : { value, version, expiresAt };
    } catch (err) {
      if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** The value, or undefined when the key does not exist. */
  async get(key: string): Promise<string | undefined> {
    try {
      const { reply } = await routeToOwner(this.#cluster, { op: "GET_ONE", key, ...this.#readQuorum });
      return (reply as { value: string }).value;
    } catch (err) {
      if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** True when the key existed. */
  async delete(key: string): Promise<boolean> {
    const { reply } = await routeToOwner(this.#cluster, { op: "DELETE", key, ...this.#writeQuorum });
    return (reply as { deleted: boolean }).deleted;
  }

  /**
   * Writes many entries in bulk: grouped by owner into BATCH messages (up to 4000 entries and
   * ~1 MiB) sent straight to each node, at most `window` messages of 1000 entries' worth in
   * flight (a message of 4000 counts four), so memory stays bounded for any input size and no
   * per-entry promise is made. Entries a node redirects (a rebalance in progress) are retried one
   * by one through put(). Rejects with the first failure once all have settled.
   */
  async putMany(
    entries: Iterable<readonly [string, string]>,
    onProgress?: (done: number) => void,
    window = 16,
  ): Promise<void> {
    const run = new BulkRun(this.#cluster, "P", window, onProgress);
    for (const [key, value] of entries) {
      const full = run.add(key, value, 0);
      if (full) await full;
    }
    await run.finish();
  }

  /**
   * Reads many keys in bulk, like putMany, and resolves to their values in the keys' order
   * (undefined for keys that do not exist). It holds every value until it resolves: for more
   * keys than that suits, getEach hands each value over as it comes instead.
   */
  async getMany(keys: readonly string[], window = 16): Promise<Array<string | undefined>> {
    const values = new Array<string | undefined>(keys.length);
    await this.getEach(
      keys,
      (_key, value, index) => {
        values[index] = value;
      },
      undefined,
      window,
    );
    return values;
  }

  /**
   * Reads many keys in bulk, like putMany, and hands each key's value (undefined when it does
   * not exist) to `onEntry` with the key and its position in `keys`, as its node's reply comes:
   * in no set order, each key once. Nothing is collected, so memory stays bounded for any number
   * of keys, from any iterable. Stops taking keys once a read failed for good or `onEntry`
   * threw, and rejects with the first such error once what was sent has settled.
   */
  async getEach(
    keys: Iterable<string>,
    onEntry: EntrySink,
    onProgress?: (done: number) => void,
    window = 16,
  ): Promise<void> {
    const run = new BulkRun(this.#cluster, "G", window, onProgress, onEntry);
    let index = 0;
    for (const key of keys) {
      if (run.failed) break;
      const full = run.add(key, "", index++);
      if (full) await full;
    }
    await run.finish();
  }

  /**
   * Reads many keys with their versions and expiry, in bulk like getMany (with replication, each
   * a quorum read: the newest copy); undefined for keys that do not exist.
   */
  getManyWithVersion(keys: readonly string[], window = 16): Promise<Array<VersionedValue | undefined>> {
    return readVersions(this.#cluster, keys, this.#readQuorum, window);
  }

  /**
   * Writes back entries that carry their own versions (a restore from `zkv export`), in bulk
   * like putMany: each node keeps, per key, the newer of the entry and the copy it holds, so an
   * older entry never replaces a newer value. Resolves to how many were applied and kept.
   */
  restoreMany(
    entries: Iterable<VersionedEntry>,
    onProgress?: (done: number) => void,
    window = 16,
  ): Promise<RestoreCounts> {
    return restoreEntries(this.#cluster, entries, this.#writeQuorum, onProgress, window);
  }

  /** Every entry one node holds, in key order (GET_ALL pages of `pageSize`). */
  scanNode(nodeId: string, pageSize?: number): AsyncGenerator<KeyValue> {
    return scanNode(this.#cluster, nodeId, pageSize);
  }

  /**
   * Every entry in the cluster in key order, each key once: all nodes paged concurrently and
   * merged. A key held by several nodes (replicas, or a move in progress) is given from the first
   * to list it, which need not hold its newest value: use get() for a quorum read. Fails with
   * NODE_UNAVAILABLE rather than leave out the keys of nodes it cannot read (see scanCluster).
   */
  scan(pageSize?: number): AsyncGenerator<KeyValue> {
    return scanCluster(this.#cluster, pageSize);
  }

  /** Like scan(), but each key with every node's copy of it, versions included, in batches (see scanCopies). */
  scanCopies(pageSize?: number): AsyncGenerator<KeyCopies[]> {
    return scanCopies(this.#cluster, pageSize);
  }

  /**
   * Sends one request to one named node, with no routing or redirects: for the rebalancing ops
   * and for tools that address nodes directly. Error replies reject with their ZkvError.
   */
  request(nodeId: string, request: OutgoingRequest, timeoutMs?: number): Promise<Reply> {
    return this.#cluster.nodes.send(nodeId, request, timeoutMs);
  }

  /** Answers PING from one node: true when it is serving. */
  async ping(nodeId: string): Promise<boolean> {
    const reply = (await this.#cluster.nodes.send(nodeId, { op: "PING" })) as { ok?: boolean };
    return reply.ok === true;
  }

  /**
   * Stops following membership and closes every connection; resolves once they are all closed.
   * Requests still in flight, and any made after, fail with NODE_UNAVAILABLE ("client is
   * closed"). Safe to call twice: both calls wait for the same close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#cluster.close().then(this.#markClosed);
    return this.#closing;
  }

  /** Resolves once the client is closed, by whichever caller closed it. */
  closed(): Promise<void> {
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What put() resolves to, from the reply and the node that gave it. */
function putResult(reply: Reply, node: string): PutResult {
  const { version } = reply as { version?: number };
  return version === undefined ? { node } : { node, version };
}
