import { type ConsulConfig, NodeRegistration } from "@zkv/membership";
import { DEFAULT_LIMITS, type Limits } from "@zkv/protocol";
import { Router } from "zeromq";
import { answerMessage } from "./answer.js";
import { ClusterFollower } from "./cluster-follower.js";
import type { HandlerContext } from "./handler.js";
import type { Logger } from "./logger.js";
import { MetricsServer, NodeMetrics } from "./metrics.js";
import { ClusterView } from "./ownership.js";
import { type PendingReply, ReplyQueue } from "./reply-queue.js";
import { MemoryStore, type Store } from "./store/index.js";

/** Everything one node needs to serve. */
export interface NodeOptions {
  readonly nodeId: string;
  /** Interface to bind (default 127.0.0.1: nothing is exposed unless asked). */
  readonly host: string;
  readonly port: number;
  /** Address announced in Consul for clients; defaults to `host`. */
  readonly advertise?: string;
  readonly weight?: number;
  /** Consul to register in; undefined for static (phase 1) clusters. */
  readonly consul?: ConsulConfig;
  readonly limits?: Limits;
  /** Where the node keeps its data (default: a MemoryStore); the node closes it on close(). */
  readonly store?: Store;
  readonly logger: Logger;
  readonly ttlSeconds?: number;
  /**
   * Port of the Prometheus endpoint (http://host:metricsPort/metrics), registered in Consul as
   * meta `metrics_port`; 0 or absent serves none. The CLI defaults it to port + 7000.
   */
  readonly metricsPort?: number;
  /**
   * When the metrics port cannot be bound, log a warning and serve without metrics instead of
   * failing start(): for a port derived from the node's, not one the operator asked for.
   */
  readonly metricsBestEffort?: boolean;
}

/** How long a closing socket keeps trying to deliver the replies it still holds. */
const LINGER_MS = 1000;
/** Longest a closing node keeps answering requests that keep arriving. */
const DRAIN_MS = 2000;
/**
 * How often an idle serve loop wakes to notice a shutdown request; also how long a closing node
 * must see no request before it stops (requests already sent may still be in flight).
 */
const IDLE_WAKE_MS = 100;

/**
 * One zkv node: a ZeroMQ ROUTER on tcp://host:port serving REQ and DEALER clients, a store, and
 * (in Consul mode) a registration with a TTL health check. Replies leave in request order; one
 * that waits for the disk goes out later through a ReplyQueue while the node keeps receiving.
 * `close()` answers requests until none has arrived for IDLE_WAKE_MS (at most DRAIN_MS), sends
 * every reply still waiting, deregisters, closes the socket and then the store.
 */
export class ZkvNode {
  readonly store: Store;
  readonly limits: Limits;
  readonly #socket: Router;
  readonly #replies: ReplyQueue;
  readonly #log: Logger;
  #registration: NodeRegistration | undefined;
  #follower: ClusterFollower | undefined;
  /** Who owns what: set in Consul mode, where placement is known; static nodes serve every key. */
  readonly cluster: ClusterView | undefined;
  /** Resolves when the cluster removed this node (remove-node finished): time to shut down. */
  readonly removed: Promise<void>;
  #onRemoved: () => void = () => {};
  #serving: Promise<void> | undefined;
  #draining = false;
  #drainDeadline = 0;
  #closing: Promise<void> | undefined;
  /** Counters, latency histogram and gauges; kept even when no metrics port is served. */
  readonly metrics: NodeMetrics;
  #metricsServer: MetricsServer | undefined;
  readonly #handlerContext: HandlerContext;
  /** Requests answered since start, errors included. */
  opsServed = 0;
  readonly startedAt = Date.now();

  constructor(private readonly options: NodeOptions) {
    this.store = options.store ?? new MemoryStore();
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.#log = options.logger;
    this.cluster = options.consul ? new ClusterView(options.nodeId) : undefined;
    this.removed = new Promise((resolve) => {
      this.#onRemoved = resolve;
    });
    const metricsPort = options.metricsPort || undefined;
    this.metrics = new NodeMetrics(this.store, options.nodeId, metricsPort !== undefined);
    this.#metricsServer =
      metricsPort === undefined
        ? undefined
        : new MetricsServer(this.metrics.registry, options.host, metricsPort);
    this.#handlerContext = {
      nodeId: options.nodeId,
      store: this.store,
      limits: this.limits,
      counters: this,
      metrics: this.metrics,
      ...(this.cluster ? { cluster: this.cluster } : {}),
    };
    this.#socket = new Router({
      linger: LINGER_MS,
      receiveTimeout: IDLE_WAKE_MS,
      // Twice the protocol limit: a message between the two gets a TOO_LARGE reply; beyond it
      // ZeroMQ drops the connection before buffering the whole thing.
      maxMessageSize: this.limits.maxMessageBytes * 2,
      // ZMTP heartbeats, so a vanished peer's pipe (and its queued replies) is reclaimed.
      heartbeatInterval: 5000,
      heartbeatTimeout: 15_000,
      heartbeatTimeToLive: 15_000,
      handshakeInterval: 10_000,
      sendHighWaterMark: 10_000,
      receiveHighWaterMark: 10_000,
    });
    this.#replies = new ReplyQueue((frames) => this.#send(frames));
  }

  /** `tcp://host:port` the node is bound to. */
  get endpoint(): string {
    return `tcp://${this.options.host}:${this.options.port}`;
  }

  /** Port of the Prometheus endpoint, or undefined when the node serves none. */
  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  /** Binds, starts the metrics endpoint, registers in Consul (when configured) and starts serving. */
  async start(): Promise<void> {
    await this.#socket.bind(this.endpoint);
    this.#serving = this.#serve();
    try {
      await this.#metricsServer?.listen();
    } catch (err) {
      if (!this.options.metricsBestEffort) {
        await this.close();
        throw err;
      }
      this.#log.warn(
        { err, metricsPort: this.options.metricsPort },
        "metrics port unavailable; no metrics served",
      );
      this.#metricsServer = undefined;
    }
    if (this.options.consul && this.cluster) {
      this.#follower = new ClusterFollower(this.options.consul, this.cluster, this.#log);
      this.#follower.on("removed", () => {
        this.#log.info({}, "removed from the cluster's placement");
        this.#onRemoved();
      });
      this.#registration = new NodeRegistration({
        consul: this.options.consul,
        nodeId: this.options.nodeId,
        address: this.options.advertise ?? this.options.host,
        port: this.options.port,
        weight: this.options.weight ?? 1,
        logger: this.#log,
        ...(this.options.ttlSeconds ? { ttlSeconds: this.options.ttlSeconds } : {}),
        ...(this.#metricsServer ? { meta: { metrics_port: String(this.#metricsServer.port) } } : {}),
      });
      try {
        await this.#follower.start();
        await this.#registration.start();
      } catch (err) {
        await this.close();
        throw err;
      }
    }
    this.#log.info(
      { endpoint: this.endpoint, consul: Boolean(this.options.consul), metricsPort: this.metricsPort },
      "node serving",
    );
  }

  /** Drains, deregisters and closes; safe to call twice (both calls wait for the same close). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#drainDeadline = Date.now() + DRAIN_MS;
    this.#draining = true;
    await this.#serving;
    await this.#replies.drained();
    this.#follower?.close();
    await this.#registration?.close();
    await this.#metricsServer?.close();
    this.#socket.close();
    await this.store.close();
    this.#log.info({ opsServed: this.opsServed }, "node stopped");
  }

  async #serve(): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (err) {
        if ((err as { code?: string }).code === "EAGAIN" && !this.#draining) continue;
        if (this.#draining || this.#socket.closed) return;
        this.#log.error({ err }, "receive failed");
        continue;
      }
      const reply = this.#answer(frames);
      if (this.#replies.idle && !(reply instanceof Promise)) {
        await this.#send(reply); // nothing ahead of it: the common path, no queueing
      } else {
        const full = this.#replies.push(reply);
        if (full) await full;
      }
      // Draining answers until the socket has been quiet for IDLE_WAKE_MS (the receive above then
      // fails with EAGAIN), but under endless traffic only for so long. Stopping as soon as nothing
      // is queued would drop requests a client already sent that are still crossing the network.
      if (this.#draining && Date.now() > this.#drainDeadline) return;
    }
  }

  /** Sends one reply; a failure (the peer is gone) is logged, never thrown. */
  async #send(frames: Buffer[]): Promise<void> {
    try {
      await this.#socket.send(frames);
    } catch (err) {
      this.#log.warn({ err }, "reply not sent");
    }
  }

  /** The reply frames for one incoming message, now or once durable (see answerMessage). */
  #answer(frames: Buffer[]): PendingReply {
    this.opsServed++;
    return answerMessage(frames, this.#handlerContext, this.metrics, this.#log);
  }
}
