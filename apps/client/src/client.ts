import type { Placement } from "@zkv/hashring";
import {
  ClusterSettings,
  type ConsulConfig,
  type HashingMode,
  type Member,
  type MembershipLogger,
  MembershipWatcher,
} from "@zkv/membership";
import { ErrorCode, type KeyValue, type Reply, ZkvError } from "@zkv/protocol";
import { mergeSorted } from "./merge.js";
import { NodeConnection, type OutgoingRequest } from "./node-connection.js";
import { placementFor, placementKey, staticMembers } from "./routing.js";

/** Where the client learns the cluster from: Consul (phase 2) or a fixed list (phase 1). */
export type ClusterSource =
  | { readonly consul: ConsulConfig }
  | {
      readonly static: {
        readonly nodes: number;
        readonly host?: string;
        readonly basePort?: number;
        readonly hashing?: HashingMode;
      };
    };

export type ClientOptions = ClusterSource & {
  /** Per-request timeout. Default 5 s. */
  readonly timeoutMs?: number;
  /** How long connect() waits for the nodes' sockets. Default 3 s. */
  readonly connectTimeoutMs?: number;
  readonly logger?: MembershipLogger;
};

/**
 * zkv's client: routes each key with the cluster's hashing to the node that owns it, over one
 * DEALER per node with many requests in flight, and follows membership pushed from Consul. A
 * key whose node is critical in Consul or not connected fails fast with NODE_UNAVAILABLE; keys
 * never silently go to a node that does not own them.
 */
export class ZkvClient {
  readonly #connections = new Map<string, NodeConnection>();
  #members: Member[] = [];
  #placement: Placement | undefined;
  #placementKey = "";
  #watcher: MembershipWatcher | undefined;
  #closed = false;
  readonly #timeoutMs: number;

  private constructor(
    readonly hashing: HashingMode,
    options: ClientOptions,
  ) {
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Reads membership and hashing, connects to every node, and starts following changes. */
  static async connect(options: ClientOptions): Promise<ZkvClient> {
    if ("static" in options) {
      const s = options.static;
      const client = new ZkvClient(s.hashing ?? "ring", options);
      await client.#apply(staticMembers(s.nodes, s.host ?? "127.0.0.1", s.basePort ?? 2000), options);
      return client;
    }
    const hashing = await new ClusterSettings(options.consul).hashing();
    const client = new ZkvClient(hashing, options);
    const watcher = new MembershipWatcher({
      consul: options.consul,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    client.#watcher = watcher;
    const members = await watcher.start();
    watcher.on("change", (m) => void client.#apply(m, options));
    await client.#apply(members, options);
    return client;
  }

  /** The members as last seen (Consul's view, or the static list). */
  get members(): readonly Member[] {
    return this.#members;
  }

  /** The node that owns `key` under the current placement. */
  locate(key: string): Member {
    if (!this.#placement) throw new ZkvError(ErrorCode.NODE_UNAVAILABLE, "the cluster has no members");
    const id = this.#placement.locate(key);
    return this.#members.find((m) => m.id === id)!;
  }

  async put(key: string, value: string): Promise<void> {
    await this.#toOwner(key, { op: "PUT", key, value });
  }

  /** The value, or undefined when the key does not exist. */
  async get(key: string): Promise<string | undefined> {
    try {
      const reply = (await this.#toOwner(key, { op: "GET_ONE", key })) as { value: string };
      return reply.value;
    } catch (err) {
      if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** True when the key existed. */
  async delete(key: string): Promise<boolean> {
    const reply = (await this.#toOwner(key, { op: "DELETE", key })) as { deleted: boolean };
    return reply.deleted;
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

  /** Every entry in the cluster in key order: all nodes paged concurrently and merged. */
  scan(pageSize?: number): AsyncGenerator<KeyValue> {
    const sources = this.#members.map((m) => this.scanNode(m.id, pageSize));
    return mergeSorted(sources, (kv) => kv.key);
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
    for (const c of this.#connections.values()) c.close();
    this.#connections.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #toOwner(key: string, request: OutgoingRequest): Promise<Reply> {
    return this.#toNode(this.locate(key).id, request);
  }

  #toNode(nodeId: string, request: OutgoingRequest): Promise<Reply> {
    if (this.#closed) return Promise.reject(new ZkvError(ErrorCode.NODE_UNAVAILABLE, "client is closed"));
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
    return connection.request(request, this.#timeoutMs);
  }

  /** Adopts a membership view: placement, then sockets (new nodes connected, gone ones closed). */
  async #apply(members: Member[], options: ClientOptions): Promise<void> {
    if (this.#closed) return;
    const key = placementKey(this.hashing, members);
    if (key !== this.#placementKey) {
      this.#placement = placementFor(this.hashing, members);
      this.#placementKey = key;
    }
    this.#members = members;
    const waits: Array<Promise<boolean>> = [];
    for (const m of members) {
      const endpoint = `tcp://${m.address}:${m.port}`;
      const existing = this.#connections.get(m.id);
      if (existing?.endpoint === endpoint) continue;
      existing?.close();
      const connection = new NodeConnection(m.id, endpoint, this.#timeoutMs);
      this.#connections.set(m.id, connection);
      if (m.health !== "critical") waits.push(connection.waitConnected(options.connectTimeoutMs ?? 3000));
    }
    for (const [id, connection] of this.#connections) {
      if (!members.some((m) => m.id === id)) {
        connection.close();
        this.#connections.delete(id);
      }
    }
    await Promise.all(waits);
  }
}
