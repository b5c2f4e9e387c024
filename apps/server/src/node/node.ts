import { CURVE_KEY_META } from "@zkv/membership";
import { DEFAULT_LIMITS, type Limits } from "@zkv/protocol";
import { Router } from "zeromq";
import type { ClusterView } from "../cluster/ownership.js";
import type { Logger } from "../logger.js";
import { answer } from "../requests/answer.js";
import type { HandlerContext } from "../requests/handler-context.js";
import { CurveGuard } from "../security/curve-guard.js";
import { MemoryStore, Reclaimer, type Store } from "../store/index.js";
import { ClientOutput } from "./client-output.js";
import { ClusterMember } from "./cluster-member.js";
import { DeferredWrites } from "./deferred-writes.js";
import { processMemory } from "./memory-probe.js";
import { NodeMetrics } from "./metrics.js";
import { MetricsServer } from "./metrics-server.js";
import type { NodeOptions } from "./node-options.js";
import { ReplySender } from "./reply-sender.js";
import { DEFAULT_SOCKET_LIMITS, routerOptions } from "./socket-options.js";

export type { NodeOptions } from "./node-options.js";

/** Longest a closing node keeps answering requests that keep arriving (NodeOptions.drainMs). */
const DEFAULT_DRAIN_MS = 2000;
/**
 * How often an idle serve loop wakes to notice a shutdown request; also how long a closing node
 * must see no request before it stops (requests already sent may still be in flight).
 */
const IDLE_WAKE_MS = 100;

/**
 * One zkv node: a ZeroMQ ROUTER on tcp://host:port serving REQ and DEALER clients, a store, and
 * (in Consul mode) its part in the cluster (ClusterMember). Replies leave in request order; one
 * that waits for the disk goes out later through its ReplySender while the node keeps receiving.
 * `close()` answers requests until none has arrived for IDLE_WAKE_MS (at most `drainMs`), sends
 * every reply still waiting, deregisters, closes the socket and then the store.
 */
export class ZkvNode {
  readonly store: Store;
  readonly limits: Limits;
  readonly #socket: Router;
  readonly #replies: ReplySender;
  readonly #deferred: DeferredWrites;
  /** What clients have not taken yet, bounded per client; STATS and /metrics report it. */
  readonly output: ClientOutput;
  readonly #log: Logger;
  /** CURVE only: who may connect, and the ZAP handler that asks it. */
  readonly curve: CurveGuard | undefined;
  /** Consul mode only: placement, registration and replication. */
  readonly #member: ClusterMember | undefined;
  /** Who owns what: set in Consul mode, where placement is known; static nodes serve every key. */
  readonly cluster: ClusterView | undefined;
  /** Resolves when the cluster removed this node (remove-node finished): time to shut down. */
  readonly removed: Promise<void>;
  #serving: Promise<void> | undefined;
  #draining = false;
  #drainDeadline = 0;
  #closing: Promise<void> | undefined;
  /** Counters, latency histogram and gauges; kept even when no metrics port is served. */
  readonly metrics: NodeMetrics;
  #metricsServer: MetricsServer | undefined;
  readonly #handlerContext: HandlerContext;
  /** Removes expired entries in the background while the node serves. */
  readonly #reclaimer: Reclaimer;
  /** Requests answered since start, errors included. */
  opsServed = 0;
  readonly startedAt = Date.now();

  constructor(private readonly options: NodeOptions) {
    const store: Store = options.store ?? new MemoryStore();
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.#log = options.logger;
    this.#member = options.consul ? new ClusterMember(options, options.consul, store) : undefined;
    this.store = this.#member?.store ?? store;
    this.cluster = this.#member?.view;
    this.removed = this.#member?.removed ?? new Promise(() => {});
    const socketLimits = { ...DEFAULT_SOCKET_LIMITS, ...options.socketLimits };
    const curve = options.curve ? new CurveGuard(options.curve, options.consul, this.#log) : undefined;
    this.curve = curve;
    this.#socket = new Router(
      routerOptions(
        this.limits,
        socketLimits,
        IDLE_WAKE_MS,
        curve ? { identity: curve.options.identity, context: curve.context } : undefined,
      ),
    );
    this.output = new ClientOutput(this.#socket, socketLimits.maxReplyBytesPerPeer, this.#log);
    this.#replies = new ReplySender(this.output);
    this.#deferred = new DeferredWrites(this.#log);
    const metricsPort = options.metricsPort || undefined;
    this.metrics = new NodeMetrics(this.store, options.nodeId, metricsPort !== undefined, {
      output: this.output,
      antiEntropy: this.#member?.replication?.antiEntropy,
      unreachablePeers: this.#member?.replication?.context.unreachablePeers,
      disk: store.diskStats?.bind(store),
    });
    this.#metricsServer =
      metricsPort === undefined
        ? undefined
        : new MetricsServer(this.metrics.registry, options.host, metricsPort);
    const replication = this.#member?.replication;
    this.#handlerContext = {
      nodeId: options.nodeId,
      store: this.store,
      limits: this.limits,
      counters: this,
      memory: processMemory,
      output: this.output,
      metrics: this.metrics,
      ...(this.cluster ? { cluster: this.cluster } : {}),
      ...(replication ? { replication: replication.context } : {}),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      afterReply: this.#deferred.defer,
      // Followed, not fixed: the replication factor can change while the node runs.
      get keepTombstones() {
        return replication?.active ?? false;
      },
    };
    // A replicating node's TrackedStore keeps the tombstones of what it reclaims.
    this.#reclaimer = new Reclaimer(this.store, { keepTombstones: false });
  }

  /** `tcp://host:port` the node is bound to. */
  get endpoint(): string {
    return `tcp://${this.options.host}:${this.options.port}`;
  }

  /** Seconds since the node was created; STATS reports it. */
  get uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Port of the Prometheus endpoint, or undefined when the node serves none. */
  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  /** Binds, starts the metrics endpoint, registers in Consul (when configured) and starts serving. */
  async start(): Promise<void> {
    // Who may connect is settled before anyone can: allow-list loaded, ZAP handler bound.
    try {
      await this.curve?.start();
      await this.#socket.bind(this.endpoint);
    } catch (err) {
      this.#socket.close();
      await this.curve?.close();
      throw err;
    }
    this.#serving = this.#serve();
    this.#reclaimer.start();
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
    try {
      await this.#member?.start({
        ...(this.#metricsServer ? { metrics_port: String(this.#metricsServer.port) } : {}),
        ...(this.curve ? { [CURVE_KEY_META]: this.curve.publicKey } : {}),
      });
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#log.info(
      {
        endpoint: this.endpoint,
        consul: Boolean(this.options.consul),
        metricsPort: this.metricsPort,
        curve: this.curve ? { allowedClients: this.curve.allowedClients } : false,
        ...(this.#member?.replication ? { state: this.#member.replication.state } : {}),
      },
      "node serving",
    );
  }

  /** Drains, deregisters and closes; safe to call twice (both calls wait for the same close). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#drainDeadline = Date.now() + (this.options.drainMs ?? DEFAULT_DRAIN_MS);
    this.#draining = true;
    await this.#serving;
    await this.#replies.drained();
    this.#reclaimer.close();
    await this.#member?.close();
    await this.#metricsServer?.close();
    // Unbind and wait: libzmq releases the port in the background after close(), and a node
    // restarted at once on the same port must find it free.
    if (!this.#socket.closed) {
      try {
        await this.#socket.unbind(this.endpoint);
      } catch {
        // never bound (start failed early): nothing to release
      }
    }
    // The node socket first: without a ZAP handler libzmq would admit any CURVE client.
    this.#socket.close();
    await this.curve?.close();
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
      if (this.output.isDropped(frames[0])) continue;
      this.opsServed++;
      const { reply, ordered } = answer(frames, this.#handlerContext, this.metrics, this.#log);
      const wait = this.#replies.deliver(reply, ordered);
      this.#deferred.run(); // after the reply is on its way; before anything else runs
      if (wait) await wait;
      // Draining answers until the socket has been quiet for IDLE_WAKE_MS (the receive above then
      // fails with EAGAIN), but under endless traffic only for so long. Stopping as soon as nothing
      // is queued would drop requests a client already sent that are still crossing the network.
      if (this.#draining && Date.now() > this.#drainDeadline) return;
    }
  }
}
