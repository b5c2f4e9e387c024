import {
  DEFAULT_LIMITS,
  ErrorCode,
  errorFromReply,
  isErrorReply,
  parseJsonSafe,
  type Reply,
  type Request,
  ZkvError,
} from "@zkv/protocol";
import { Dealer } from "zeromq";

/** Where a peer listens, as Consul announces it. */
export interface PeerAddress {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** False while Consul reports the peer critical: it is skipped, not waited for. */
  readonly healthy: boolean;
  /** The peer's CURVE public key (service meta), when it runs CURVE. */
  readonly curveKey?: string;
  /** Its registration says it is bootstrapping (service meta `state`). */
  readonly bootstrapping?: boolean;
}

/** This node's CURVE keypair, used to reach peers that run CURVE. */
export interface CurveIdentity {
  readonly publicKey: string;
  readonly secretKey: string;
}

interface Pending {
  resolve(reply: Reply): void;
  reject(err: ZkvError): void;
  timer: NodeJS.Timeout;
}

/** A request to a peer, without its id: the link assigns one. */
export type PeerRequest =
  Extract<
    Request,
    { op: "REPLICATE" | "REPLICA_GET" | "REPLICA_HANDOFF" | "AE_ROOTS" | "AE_HASHES" | "AE_KEYS" }
  > extends infer R
    ? R extends { id?: unknown }
      ? Omit<R, "id">
      : never
    : never;

/**
 * One DEALER to one peer node, many requests in flight matched by id. `immediate` keeps ZeroMQ
 * from queueing for a peer that is not connected, so a request to a dead peer fails at once and
 * the coordinator counts it as missing instead of waiting out its timeout.
 */
class PeerLink {
  readonly #socket: Dealer;
  readonly #pending = new Map<number, Pending>();
  /**
   * Frames as strings: zeromq.js hands a string's UTF-8 copy to libzmq, which frees it on its own
   * thread, where a Buffer over 128 bytes is lent (zero-copy) and must be released back on this
   * thread, one more hop per message.
   */
  readonly #sendQueue: string[] = [];
  #sending = false;
  #nextId = 1;
  connected = false;
  /**
   * Whether the peer's last REPLICATE / REPLICA_GET answer said it serves; undefined until one
   * arrives on this connection. Fresher than its Consul meta, which may still be a previous
   * incarnation's (a node restarted empty answers before it registers again).
   */
  answeredServing: boolean | undefined;

  constructor(
    public peer: PeerAddress,
    readonly endpoint: string,
    curve: CurveIdentity | undefined,
  ) {
    this.#socket = new Dealer({
      ...(curve && peer.curveKey
        ? { curveServerKey: peer.curveKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey }
        : {}),
      linger: 0,
      immediate: true,
      // No waiting for a peer that is not connected: the request fails and its replica is hinted.
      sendTimeout: 0,
      reconnectInterval: 100,
      reconnectMaxInterval: 1000,
      heartbeatInterval: 1000,
      heartbeatTimeout: 3000,
      maxMessageSize: DEFAULT_LIMITS.maxMessageBytes * 8,
    });
    this.#socket.events.on("handshake", () => {
      this.connected = true;
    });
    this.#socket.events.on("disconnect", () => {
      this.connected = false;
      this.answeredServing = undefined; // what comes back may be a new incarnation
    });
    this.#socket.connect(endpoint);
    void this.#receive();
  }

  request(request: PeerRequest, timeoutMs: number, body?: string): Promise<Reply> {
    if (!this.connected) return Promise.reject(unavailable(this.peer.id, "not connected"));
    const id = this.#nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ZkvError(ErrorCode.TIMEOUT, `peer ${this.peer.id} did not answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#sendQueue.push(
        body === undefined ? JSON.stringify({ ...request, id } as Request) : withId(body, id),
      );
      void this.#pump();
    });
  }

  close(): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(unavailable(this.peer.id, "link closed"));
    }
    this.#socket.close();
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let frame = this.#sendQueue.shift(); frame; frame = this.#sendQueue.shift()) {
        await this.#socket.send(frame).catch(() => undefined); // its timeout reports it
      }
    } finally {
      this.#sending = false;
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const frames of this.#socket) {
        const parsed = parseJsonSafe(frames[frames.length - 1]?.toString("utf8") ?? "", 32);
        const reply = parsed.ok ? (parsed.value as Reply & { id?: unknown }) : undefined;
        const pending = typeof reply?.id === "number" ? this.#pending.get(reply.id) : undefined;
        if (!reply || !pending) continue;
        this.#pending.delete(reply.id as number);
        clearTimeout(pending.timer);
        if (isErrorReply(reply)) pending.reject(errorFromReply(reply));
        else pending.resolve(reply);
      }
    } catch {
      // the socket closed
    }
  }
}

/**
 * `body` (a request encoded without an id, so `{"op":…` at least) with `id` as its first field:
 * one encoding serves every peer a coordinator sends the same copies.
 */
function withId(body: string, id: number): string {
  return `{"id":${id},${body.slice(1)}`;
}

function unavailable(peer: string, why: string): ZkvError {
  return new ZkvError(ErrorCode.NODE_UNAVAILABLE, `peer ${peer} unavailable: ${why}`);
}

/** The node's links to its peers, kept in step with Consul's view of the members. */
export class PeerLinks {
  readonly #links = new Map<string, PeerLink>();

  constructor(
    private readonly self: string,
    private readonly curve?: CurveIdentity,
  ) {}

  /** Adopts the members' addresses: new peers are connected, moved ones reconnected, gone ones closed. */
  update(peers: readonly PeerAddress[]): void {
    for (const peer of peers) {
      if (peer.id === this.self) continue;
      const endpoint = `tcp://${peer.address}:${peer.port}`;
      const link = this.#links.get(peer.id);
      if (link?.endpoint === endpoint && link.peer.curveKey === peer.curveKey) {
        link.peer = peer;
        continue;
      }
      link?.close();
      this.#links.set(peer.id, new PeerLink(peer, endpoint, this.curve));
    }
    for (const [id, link] of this.#links) {
      if (!peers.some((p) => p.id === id)) {
        link.close();
        this.#links.delete(id);
      }
    }
  }

  /** True when a request to `peer` can be expected to arrive: connected and not critical. */
  isUp(peer: string): boolean {
    const link = this.#links.get(peer);
    return link?.connected === true && link.peer.healthy;
  }

  /**
   * Peers Consul shows passing whose link is down (not yet connected, or its heartbeat timed
   * out): a network cut between this node and them, which Consul's health checks do not see.
   */
  unreachable(): string[] {
    const ids: string[] = [];
    for (const [id, link] of this.#links) if (link.peer.healthy && !link.connected) ids.push(id);
    return ids.sort();
  }

  /** True unless `peer` is known to be bootstrapping: from its last answer, else from Consul. */
  isServing(peer: string): boolean {
    const link = this.#links.get(peer);
    return link?.answeredServing ?? link?.peer.bootstrapping !== true;
  }

  /** `body`, when given, is `request` in JSON already, without an id. */
  request(peer: string, request: PeerRequest, timeoutMs: number, body?: string): Promise<Reply> {
    const link = this.#links.get(peer);
    if (!link) return Promise.reject(unavailable(peer, "not a member"));
    const reply = link.request(request, timeoutMs, body);
    // Only the replies that carry `bootstrapping` say whether the peer serves.
    if (request.op !== "REPLICATE" && request.op !== "REPLICA_GET") return reply;
    return reply.then((r) => {
      link.answeredServing = (r as { bootstrapping?: boolean }).bootstrapping !== true;
      return r;
    });
  }

  close(): void {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
