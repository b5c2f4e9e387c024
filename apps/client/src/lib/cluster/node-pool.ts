import { type Member, REPLICA_STATE_META } from "@zkv/membership";
import { ErrorCode, type Reply, ZkvError } from "@zkv/protocol";
import { Batcher, type KeyOp } from "./batcher.js";
import { NodeConnection, type OutgoingRequest } from "./node-connection.js";
import type { Outcome } from "./outcome.js";
import { type ClientCurve, type NodeSecurity, nodeSecurity } from "./security.js";
import { turnNow } from "./turn-clock.js";

/**
 * One connection per member, kept in step with membership: a new node is connected, a gone one
 * closed, one at a new address or with a new CURVE key reconnected, and one whose CURVE setup
 * cannot match this client's refused (with the reason). A request to a node that is refused, not
 * a member, or critical in Consul fails at once; keys never silently go to another node.
 */
export class NodePool {
  readonly #connections = new Map<string, NodeConnection>();
  /** One batcher per connection: key operations go through it, everything else directly. */
  readonly #batchers = new WeakMap<NodeConnection, Batcher>();
  /** Nodes this client will not talk to (a CURVE mismatch), and why. */
  readonly #refused = new Map<string, string>();
  /** The members as last adopted: a critical one's requests fail fast. */
  #members = new Map<string, Member>();
  /** Connections being closed (replaced or gone): close() waits for them too. */
  readonly #retiring = new Set<Promise<void>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(
    /** Per-request timeout when a call names none. */
    readonly timeoutMs: number,
    private readonly curve: ClientCurve | undefined,
    /** How long adopt() waits for a new node's socket. */
    private readonly connectTimeoutMs: number,
  ) {}

  /** True when `nodeId` is a member the pool can address (its socket may still be connecting). */
  has(nodeId: string): boolean {
    return this.#connections.has(nodeId);
  }

  /**
   * True when a request to `nodeId` would go out rather than fail at once: a member this client
   * is connected to (or connecting), not refused, not critical in Consul. A field, so callers
   * pass it around without a closure per call.
   */
  readonly isUp = (nodeId: string): boolean => {
    const member = this.#members.get(nodeId);
    return (
      member !== undefined &&
      member.health !== "critical" &&
      this.#connections.has(nodeId) &&
      !this.#refused.has(nodeId)
    );
  };

  /**
   * isUp, and not bootstrapping as far as Consul says (service meta `state`): a replica that
   * coordinates as well as it can (see servingCoordinatorOf).
   */
  readonly serves = (nodeId: string): boolean =>
    this.isUp(nodeId) && this.#members.get(nodeId)!.meta[REPLICA_STATE_META] !== "bootstrapping";

  /** Sends one request to one node, key operations batched; error replies reject with their ZkvError. */
  send(nodeId: string, request: OutgoingRequest, timeoutMs?: number): Promise<Reply>;
  /**
   * Sends one request and resolves with what `outcome` makes of its reply or of its failure
   * (error replies, and a node this pool cannot send to, included): see Outcome.
   */
  send<T>(nodeId: string, request: OutgoingRequest, timeoutMs: number, outcome: Outcome<T>): Promise<T>;
  send(
    nodeId: string,
    request: OutgoingRequest,
    timeoutMs = this.timeoutMs,
    outcome?: Outcome<unknown>,
  ): Promise<unknown> {
    const connection = this.#connections.get(nodeId);
    const member = this.#members.get(nodeId);
    // One lookup of each map on the common path (a member, connected, not critical, nobody
    // refused); #refusal words why not.
    const sendable =
      connection !== undefined &&
      member !== undefined &&
      member.health !== "critical" &&
      this.#refused.size === 0 &&
      !this.#closed;
    const refused = sendable ? undefined : this.#refusal(nodeId);
    if (refused !== undefined) {
      return outcome === undefined
        ? Promise.reject(refused)
        : outcome.recover(refused, request, nodeId, turnNow() + timeoutMs);
    }
    if (request.op === "PUT" || request.op === "GET_ONE" || request.op === "DELETE") {
      const batcher = this.#batchers.get(connection!)!;
      return outcome === undefined
        ? batcher.submit(request as KeyOp, timeoutMs)
        : batcher.submit(request as KeyOp, timeoutMs, outcome);
    }
    const sent = connection!.request(request, timeoutMs);
    if (outcome === undefined) return sent;
    const deadline = turnNow() + timeoutMs;
    return sent.then(
      (reply) => outcome.answer(reply, nodeId),
      (err: unknown) => outcome.recover(err, request, nodeId, deadline),
    );
  }

  /** Why a request to `nodeId` fails at once, or undefined when it can be sent. */
  #refusal(nodeId: string): ZkvError | undefined {
    if (this.#closed) return new ZkvError(ErrorCode.NODE_UNAVAILABLE, "client is closed");
    const refusal = this.#refused.get(nodeId);
    if (refusal) return new ZkvError(ErrorCode.AUTH_FAILED, refusal);
    const member = this.#members.get(nodeId);
    if (!member || !this.#connections.has(nodeId)) {
      return new ZkvError(ErrorCode.NODE_UNAVAILABLE, `node ${nodeId} is not a member`);
    }
    if (member.health === "critical") {
      return new ZkvError(
        ErrorCode.NODE_UNAVAILABLE,
        `node ${nodeId} is critical in Consul; its keys are unavailable`,
      );
    }
    return undefined;
  }

  /**
   * Adopts a membership view: new nodes connected, gone ones closed. Resolves once every new
   * connection to a node that is not critical is up, or has had its connect timeout to come up.
   */
  async adopt(members: readonly Member[]): Promise<void> {
    if (this.#closed) return;
    this.#members = new Map(members.map((m) => [m.id, m]));
    const waits: Array<Promise<boolean>> = [];
    for (const m of members) {
      const endpoint = `tcp://${m.address}:${m.port}`;
      const security = nodeSecurity(m, this.curve);
      const existing = this.#connections.get(m.id);
      if (security.kind === "refused") {
        this.#retire(m.id);
        this.#refused.set(m.id, security.reason);
        continue;
      }
      this.#refused.delete(m.id);
      if (existing?.endpoint === endpoint && sameSecurity(existing.security, security)) continue;
      this.#retire(m.id);
      const connection = new NodeConnection(m.id, endpoint, this.timeoutMs, security);
      this.#connections.set(m.id, connection);
      this.#batchers.set(connection, new Batcher(connection));
      if (m.health !== "critical") waits.push(connection.waitConnected(this.connectTimeoutMs));
    }
    for (const id of this.#connections.keys()) if (!this.#members.has(id)) this.#retire(id);
    for (const id of this.#refused.keys()) if (!this.#members.has(id)) this.#refused.delete(id);
    await Promise.all(waits);
  }

  /** Closes every connection and resolves once all are closed; safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#connections.keys()]) this.#retire(id);
    await Promise.all(this.#retiring);
  }

  /** Forgets a node's connection and closes it (close() awaits the closing). */
  #retire(nodeId: string): void {
    const connection = this.#connections.get(nodeId);
    if (!connection) return;
    this.#connections.delete(nodeId);
    const closing: Promise<void> = connection.close().finally(() => this.#retiring.delete(closing));
    this.#retiring.add(closing);
  }
}

/** A node that restarted with another key needs a new socket. */
function sameSecurity(a: NodeSecurity, b: NodeSecurity): boolean {
  return a.kind === b.kind && (a.kind !== "curve" || (b.kind === "curve" && a.serverKey === b.serverKey));
}
