import type { ConsulConfig, Replication } from "@zkv/membership";
import type { Limits } from "@zkv/protocol";
import type { Logger } from "../logger.js";
import type { NodeCurveOptions } from "../security/curve-guard.js";
import type { Store } from "../store/index.js";
import type { SocketLimits } from "./socket-options.js";

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
  /** Per-connection limits of the socket (defaults: DEFAULT_SOCKET_LIMITS). */
  readonly socketLimits?: Partial<SocketLimits>;
  /** Encrypt and authenticate every connection with CURVE; plaintext when absent. */
  readonly curve?: NodeCurveOptions;
  /**
   * The cluster's replication settings (Consul KV zkv/replication) as the node starts; it follows
   * their changes. With n > 1 (Consul mode only) the node coordinates the key requests it gets
   * with the keys' other replicas.
   */
  readonly replication?: Replication;
  /**
   * Memory budget for the store's bytes (keys and values, UTF-8, as STATS reports them): a write
   * that would pass it is refused with OUT_OF_MEMORY. Unlimited when absent.
   */
  readonly maxBytes?: number;
  /** Where the node keeps its data (default: a MemoryStore); the node closes it on close(). */
  readonly store?: Store;
  /**
   * With replication: the node starts without the copies it should hold, so it bootstraps (takes
   * them from the other replicas, counting toward no quorum) before it serves. Default: true
   * with the default MemoryStore, false with a store given (run-node decides from the data dir).
   */
  readonly startsEmpty?: boolean;
  /** How long bootstrap waits for a replica that is down before serving without it. */
  readonly bootstrapGiveUpMs?: number;
  /** Called once a bootstrapping node has its copies, before it says so in Consul. */
  readonly onBootstrapped?: () => Promise<void>;
  /**
   * With replication: pause between background anti-entropy passes, in ms (default 60 s); 0
   * turns them off (`zkv repair` still runs one).
   */
  readonly antiEntropyIntervalMs?: number;
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
  /** Longest close() keeps answering requests that keep arriving; default 2000 ms. */
  readonly drainMs?: number;
}
