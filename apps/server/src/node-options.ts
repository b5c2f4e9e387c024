import type { ConsulConfig } from "@zkv/membership";
import type { Limits } from "@zkv/protocol";
import type { NodeCurveOptions } from "./curve-guard.js";
import type { Logger } from "./logger.js";
import type { SocketLimits } from "./socket-options.js";
import type { Store } from "./store.js";

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
