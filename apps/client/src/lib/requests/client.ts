import type { Placement } from "@zkv/hashring";
import {
  type BlockingWatch,
  ClusterSettings,
  type ConsulConfig,
  type HashingMode,
  type Member,
  type MembershipLogger,
  MembershipWatcher,
  NO_REPLICATION,
  type PlacementRecord,
  type Replication,
} from "@zkv/membership";
import {
  CurveKeyError,
  ErrorCode,
  type GetOneReply,
  type KeyValue,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import { Batcher, type KeyOp } from "../cluster/batcher.js";
import { NodeConnection, type OutgoingRequest } from "../cluster/node-connection.js";
import { placementFor, placementKey, staticMembers } from "../cluster/placement.js";
import { type ClientCurve, type NodeSecurity, nodeSecurity } from "../cluster/security.js";
import { runBulk } from "./bulk.js";
import { mergeSorted, uniqueSorted } from "./merge.js";
import { type PutOptions, putRequest, type VersionedValue } from "./put-options.js";
import { type KeyRouter, routeToOwner } from "./redirects.js";

/** Where the client learns the cluster from: Consul (phase 2) or a fixed list (phase 1). */
export type ClusterSource =
  | { readonly consul: ConsulConfig }
  | {
      readonly static: {
        readonly nodes: number;
        readonly host?: string;
        readonly basePort?: number;
        readonly hashing?: HashingMode;
        /** Replicas per key, as the nodes were started with (`--replicas`). Default 1. */
        readonly replicas?: number;
      };
    };

export type ClientOptions = ClusterSource & {
  /** Per-request timeout. Default 5 s. */
  readonly timeoutMs?: number;
  /** How long connect() waits for the nodes' sockets. Default 3 s. */
  readonly connectTimeoutMs?: number;
  /** Talk CURVE to every node (see nodeSecurity); plaintext when absent. */
  readonly curve?: ClientCurve;
  readonly logger?: MembershipLogger;
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
  readonly #connections = new Map<string, NodeConnection>();
  /** One batcher per connection: key operations go through it, everything else directly. */
  readonly #batchers = new WeakMap<NodeConnection, Batcher>();
  /** Nodes this client will not talk to (a CURVE mismatch), and why. */
  readonly #refused = new Map<string, string>();
  #members: Member[] = [];
  #placement: Placement | undefined;
  #placementKey = "";
  #watcher: MembershipWatcher | undefined;
  #placementWatch: BlockingWatch<PlacementRecord | undefined> | undefined;
  #record: PlacementRecord | undefined;
  #closed = false;
  readonly #timeoutMs: number;
  /** What routing and the bulk engine need of this client. */
  readonly #router: KeyRouter = {
    ownerOf: (key) => this.ownerOf(key),
    replicasOf: (key) => this.replicasOf(key),
    knows: (nodeId) => this.#connections.has(nodeId),
    toNode: (nodeId, request) => this.#toNode(nodeId, request),
    toOwner: (key, request) => this.#toOwner(key, request),
  };
  readonly #listeners = new Set<() => void>();

  /** Extra fields of every write and read: this client's quorums, when it sets them. */
  readonly #writeQuorum: { w?: number };
  readonly #readQuorum: { r?: number };

  private constructor(
    readonly hashing: HashingMode,
    /** Replicas per key and the cluster's default quorums. */
    readonly replication: Replication,
    options: ClientOptions,
  ) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#writeQuorum = options.w === undefined ? {} : { w: options.w };
    this.#readQuorum = options.r === undefined ? {} : { r: options.r };
  }

  /** Reads membership and hashing, connects to every node, and starts following changes. */
  static async connect(options: ClientOptions): Promise<ZkvClient> {
    if ("static" in options) {
      const s = options.static;
      if (options.curve && options.curve.serverKey === undefined)
        throw new CurveKeyError(
          "ZKV_CURVE_SERVER_KEY_FILE",
          "a static cluster with CURVE needs the nodes' public key",
        );
      const n = s.replicas ?? 1;
      const replication =
        n === 1 ? NO_REPLICATION : { n, w: Math.floor(n / 2) + 1, r: Math.floor(n / 2) + 1 };
      const client = new ZkvClient(s.hashing ?? "ring", replication, options);
      await client.#apply(staticMembers(s.nodes, s.host ?? "127.0.0.1", s.basePort ?? 2000), options);
      return client;
    }
    const settings = new ClusterSettings(options.consul);
    const [hashing, replication] = await Promise.all([settings.hashing(), settings.replication()]);
    const client = new ZkvClient(hashing, replication, options);
    const logger = options.logger ? { logger: options.logger } : {};
    const watcher = new MembershipWatcher({ consul: options.consul, ...logger });
    client.#watcher = watcher;
    const members = await watcher.start();
    const placementWatch = settings.watchPlacement(options.logger);
    client.#placementWatch = placementWatch;
    client.#record = (await placementWatch.start()) ?? (await settings.placement());
    watcher.on("change", (m) => void client.#apply(m, options));
    placementWatch.on("change", (record) => {
      if (!record) return;
      client.#record = record;
      void client.#apply(client.#members, options);
    });
    await client.#apply(members, options);
    return client;
  }

  /** The registered members as last seen (Consul's view, or the static list). */
  get members(): readonly Member[] {
    return this.#members;
  }

  /** The desired membership (Consul's placement record); undefined for a static cluster. */
  get placementRecord(): PlacementRecord | undefined {
    return this.#record;
  }

  /**
   * Calls `listener` each time the client has adopted a membership or placement change (after
   * connecting to new nodes), so a view of the cluster is pushed changes instead of polling.
   * Returns a function that stops the calls.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The id of the node that owns `key` under the current placement. */
  ownerOf(key: string): string {
    if (!this.#placement) throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, "the cluster has no members");
    return this.#placement.locate(key);
  }

  /** The nodes holding `key`, in the order they are tried: its owner first, then its other replicas. */
  replicasOf(key: string): string[] {
    if (this.replication.n === 1) return [this.ownerOf(key)];
    if (!this.#placement) throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, "the cluster has no members");
    return this.#placement.preferenceList(key, this.replication.n);
  }

  /** The node that owns `key`, as registered (NODE_UNAVAILABLE when it is not registered). */
  locate(key: string): Member {
    const id = this.ownerOf(key);
    const member = this.#members.find((m) => m.id === id);
    if (!member)
      throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, `node ${id} owns the key but is not registered`);
    return member;
  }

  /**
   * Stores `value` under `key`, with an expiry or a condition when `options` say so (see
   * PutOptions). Resolves to the new version when the node reported it (conditional writes);
   * rejects with CONFLICT when a condition failed and OUT_OF_MEMORY when the node is full.
   */
  async put(key: string, value: string, options?: PutOptions): Promise<number | undefined> {
    const reply = await this.#toOwner(key, { ...putRequest(key, value, options), ...this.#writeQuorum });
    return (reply as { version?: number }).version;
  }

  /** The value with its version (and expiry), for a compare-and-set; undefined when the key does not exist. */
  async getWithVersion(key: string): Promise<VersionedValue | undefined> {
    try {
      const request = { op: "GET_ONE" as const, key, withVersion: true, ...this.#readQuorum };
      const { value, version, expiresAt } = (await this.#toOwner(key, request)) as GetOneReply;
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
      const reply = (await this.#toOwner(key, { op: "GET_ONE", key, ...this.#readQuorum })) as {
        value: string;
      };
      return reply.value;
    } catch (err) {
      if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** True when the key existed. */
  async delete(key: string): Promise<boolean> {
    const reply = (await this.#toOwner(key, { op: "DELETE", key, ...this.#writeQuorum })) as {
      deleted: boolean;
    };
    return reply.deleted;
  }

  /**
   * Writes many entries in bulk: grouped by owner into BATCH messages of 1000 sent straight to
   * each node, at most `window` messages in flight, so memory stays bounded for any input size
   * and no per-entry promise is made. Entries a node redirects (a rebalance in progress) are
   * retried one by one through put(). Rejects with the first failure once all have settled.
   */
  async putMany(
    entries: Iterable<readonly [string, string]>,
    onProgress?: (done: number) => void,
    window = 16,
  ): Promise<void> {
    const ops = (function* () {
      for (const [key, value] of entries) yield { op: "PUT" as const, key, value };
    })();
    await runBulk(this.#router, ops, window, (_op, _result) => {}, onProgress);
  }

  /** Reads many keys in bulk, like putMany; undefined for keys that do not exist. */
  async getMany(keys: readonly string[], window = 16): Promise<Array<string | undefined>> {
    const values = new Array<string | undefined>(keys.length);
    const index = new Map<KeyOp, number>();
    const ops = (function* () {
      for (let i = 0; i < keys.length; i++) {
        const op = { op: "GET_ONE" as const, key: keys[i]! };
        index.set(op, i);
        yield op;
      }
    })();
    await runBulk(this.#router, ops, window, (op, result) => {
      values[index.get(op)!] = (result as { value?: string } | undefined)?.value;
    });
    return values;
  }

  /** Every entry one node holds, page by page (the node's own GET_ALL). */
  async *scanNode(nodeId: string, pageSize?: number): AsyncGenerator<KeyValue> {
    let cursor: string | undefined;
    do {
      const request: OutgoingRequest = {
        op: "GET_ALL",
        ...(pageSize ? { limit: pageSize } : {}),
        ...(cursor ? { cursor } : {}),
      };
      const reply = (await this.#toNode(nodeId, request)) as { collection: KeyValue[]; cursor?: string };
      yield* reply.collection;
      cursor = reply.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Every entry in the cluster in key order, each key once: all nodes paged concurrently and
   * merged. A key held by several nodes (replicas, or a move in progress) is given from the first
   * to list it, which need not hold its newest value: use get() for a quorum read.
   */
  scan(pageSize?: number): AsyncGenerator<KeyValue> {
    const sources = this.#members.map((m) => this.scanNode(m.id, pageSize));
    return uniqueSorted(
      mergeSorted(sources, (kv) => kv.key),
      (kv) => kv.key,
    );
  }

  /**
   * Sends one request to one named node, with no routing or redirects: for the rebalancing ops
   * and for tools that address nodes directly. Error replies reject with their ZkvError.
   */
  request(nodeId: string, request: OutgoingRequest, timeoutMs = this.#timeoutMs): Promise<Reply> {
    return this.#toNode(nodeId, request, timeoutMs);
  }

  /** Answers PING from one node: true when it is serving. */
  async ping(nodeId: string): Promise<boolean> {
    const reply = (await this.#toNode(nodeId, { op: "PING" })) as { ok?: boolean };
    return reply.ok === true;
  }

  /** Stops following membership and closes every socket; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.close();
    this.#placementWatch?.close();
    for (const c of this.#connections.values()) c.close();
    this.#connections.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  /** Sends a key request to its owner, following redirects (see routeToOwner). */
  #toOwner(key: string, request: OutgoingRequest): Promise<Reply> {
    return routeToOwner(this.#router, key, request, this.#timeoutMs);
  }

  #toNode(nodeId: string, request: OutgoingRequest, timeoutMs = this.#timeoutMs): Promise<Reply> {
    if (this.#closed) return Promise.reject(new ZkvError(ErrorCode.NODE_UNAVAILABLE, "client is closed"));
    const refusal = this.#refused.get(nodeId);
    if (refusal) return Promise.reject(new ZkvError(ErrorCode.AUTH_FAILED, refusal));
    const member = this.#members.find((m) => m.id === nodeId);
    const connection = this.#connections.get(nodeId);
    if (!member || !connection) {
      return Promise.reject(new ZkvError(ErrorCode.NODE_UNAVAILABLE, `node ${nodeId} is not a member`));
    }
    if (member.health === "critical") {
      return Promise.reject(
        new ZkvError(
          ErrorCode.NODE_UNAVAILABLE,
          `node ${nodeId} is critical in Consul; its keys are unavailable`,
        ),
      );
    }
    if (request.op === "PUT" || request.op === "GET_ONE" || request.op === "DELETE") {
      return this.#batchers.get(connection)!.submit(request as KeyOp, timeoutMs);
    }
    return connection.request(request, timeoutMs);
  }

  /** Adopts a membership view: placement, then sockets (new nodes connected, gone ones closed). */
  async #apply(members: Member[], options: ClientOptions): Promise<void> {
    if (this.#closed) return;
    // Keys are placed by the desired membership when the cluster has one (Consul), else by the
    // static list; never by who is registered or healthy right now.
    const owners = this.#record?.members ?? ("consul" in options ? [] : members);
    const key = placementKey(this.hashing, owners);
    if (key !== this.#placementKey) {
      this.#placement = placementFor(this.hashing, owners);
      this.#placementKey = key;
    }
    this.#members = members;
    const waits: Array<Promise<boolean>> = [];
    for (const m of members) {
      const endpoint = `tcp://${m.address}:${m.port}`;
      const security = nodeSecurity(m, options.curve);
      const existing = this.#connections.get(m.id);
      if (security.kind === "refused") {
        existing?.close();
        this.#connections.delete(m.id);
        this.#refused.set(m.id, security.reason);
        continue;
      }
      this.#refused.delete(m.id);
      if (existing?.endpoint === endpoint && sameSecurity(existing.security, security)) continue;
      existing?.close();
      const connection = new NodeConnection(m.id, endpoint, this.#timeoutMs, security);
      this.#connections.set(m.id, connection);
      this.#batchers.set(connection, new Batcher(connection));
      if (m.health !== "critical") waits.push(connection.waitConnected(options.connectTimeoutMs ?? 3000));
    }
    for (const [id, connection] of this.#connections) {
      if (!members.some((m) => m.id === id)) {
        connection.close();
        this.#connections.delete(id);
      }
    }
    for (const id of this.#refused.keys()) if (!members.some((m) => m.id === id)) this.#refused.delete(id);
    await Promise.all(waits);
    if (!this.#closed) for (const listener of this.#listeners) listener();
  }
}

/** A node that restarted with another key needs a new socket. */
function sameSecurity(a: NodeSecurity, b: NodeSecurity): boolean {
  return a.kind === b.kind && (a.kind !== "curve" || (b.kind === "curve" && a.serverKey === b.serverKey));
}
