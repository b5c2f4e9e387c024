import { isErrorReply, type Reply } from "@zkv/protocol";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { AntiEntropyStats } from "../anti-entropy/anti-entropy.js";
import type { MessageObserver } from "../requests/observer.js";
import type { ClientOutputStats } from "../requests/stats.js";
import type { DiskStats, Store } from "../store/index.js";
import { registerAntiEntropy } from "./anti-entropy-metrics.js";
import { registerDisk } from "./disk-metrics.js";
import { LatencyHistogram } from "./latency-histogram.js";

/**
 * Latency buckets in seconds, 10 µs to 100 ms: a node answers from memory, so nearly every
 * request lands in the low buckets; the top ones catch GET_ALL pages and big BATCHes.
 */
const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/** How far a node's metrics port lies above its ZeroMQ port by default (node on 2000 → 9000). */
export const METRICS_PORT_OFFSET = 7000;

/** What else a node's metrics read, at scrape time. */
export interface MetricSources {
  /** The node's replies held for slow clients, and the clients dropped. */
  readonly output?: ClientOutputStats;
  /** With replication: what the node's anti-entropy compared and repaired. */
  readonly antiEntropy?: AntiEntropyStats;
  /** With replication: the members Consul shows passing that this node cannot reach (a cut Consul does not see). */
  readonly unreachablePeers?: () => readonly string[];
  /** With a data dir: its write-ahead log and snapshots. */
  readonly disk?: () => DiskStats;
}

/** One `zkv_requests_total` series: its labels, built once, and a plain count. */
interface RequestCell {
  readonly labels: { readonly op: string; readonly outcome: string };
  count: number;
}

/**
 * One node's Prometheus metrics, in a registry of its own (several nodes may share a process).
 *
 * The request path stays cheap: an operation adds one to a plain number found through two small
 * maps (prom-client's own `labels(...).inc()` hashes the labels into a string on every call), a
 * message makes one observation in a LatencyHistogram (the same, for prom-client's Histogram),
 * and everything else (the store's size, copying the counts into prom-client, cumulating the
 * buckets) happens at scrape time.
 */
export class NodeMetrics implements MessageObserver {
  readonly registry = new Registry();
  /** op → outcome → count. */
  readonly #requests = new Map<string, Map<string, RequestCell>>();
  readonly #duration: LatencyHistogram;
  readonly #movedIn: { inc(n: number): void };
  readonly #movedOut: { inc(n: number): void };

  /**
   * @param processMetrics also register prom-client's default process metrics (CPU, memory,
   *   event loop lag, GC). They start observers that live as long as the process, so only a
   *   node that actually serves its metrics asks for them.
   */
  constructor(store: Store, nodeId: string, processMetrics: boolean, sources: MetricSources = {}) {
    const { output, antiEntropy, unreachablePeers, disk } = sources;
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    const requests = this.#requests;
    new Counter({
      name: "zkv_requests_total",
      help: "Operations answered, by op and outcome (ok or the error code); each BATCH element counts as its own op",
      labelNames: ["op", "outcome"] as const,
      registers,
      collect() {
        this.reset();
        for (const byOutcome of requests.values()) {
          for (const cell of byOutcome.values()) this.inc(cell.labels, cell.count);
        }
      },
    });
    this.#duration = new LatencyHistogram(
      "zkv_request_duration_seconds",
      "Time a node spends on one message, from decoding the request to the encoded reply",
      DURATION_BUCKETS,
      registers,
    );
    new Gauge({
      name: "zkv_keys",
      help: "Keys stored on this node",
      registers,
      collect() {
        this.set(store.size);
      },
    });
    new Gauge({
      name: "zkv_bytes",
      help: "UTF-8 bytes of every key and value stored on this node",
      registers,
      collect() {
        this.set(store.bytes);
      },
    });
    const moved = new Counter({
      name: "zkv_rebalance_keys_moved_total",
      help: "Entries moved by rebalancing: in = applied from IMPORT, out = removed by MIGRATE_COMMIT",
      labelNames: ["direction"] as const,
      registers,
    });
    new Counter({
      name: "zkv_clients_dropped_total",
      help: "Clients dropped for leaving more than --client-output-limit bytes of replies unread",
      registers,
      collect() {
        this.reset();
        this.inc(output?.dropped ?? 0);
      },
    });
    new Gauge({
      name: "zkv_reply_queue_bytes",
      help: "Bytes of replies held for clients whose ZeroMQ queue is full (they are not reading)",
      registers,
      collect() {
        this.set(output?.queuedBytes ?? 0);
      },
    });
    if (antiEntropy) registerAntiEntropy(antiEntropy, registers);
    if (disk) registerDisk(disk, registers);
    if (unreachablePeers)
      new Gauge({
        name: "zkv_peers_unreachable",
        help: "Members Consul shows passing that this node cannot reach: a network cut Consul does not see",
        registers,
        collect() {
          this.set(unreachablePeers().length);
        },
      });
    this.#movedIn = moved.labels("in");
    this.#movedOut = moved.labels("out");
    moved.inc({ direction: "in" }, 0);
    moved.inc({ direction: "out" }, 0);
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  request(op: string, reply: Reply): void {
    this.count(op, isErrorReply(reply) ? reply.error.code : "ok", 1);
  }

  count(op: string, outcome: string, n: number): void {
    if (n === 0) return;
    let byOutcome = this.#requests.get(op);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.#requests.set(op, byOutcome);
    }
    const cell = byOutcome.get(outcome);
    if (cell === undefined) byOutcome.set(outcome, { labels: { op, outcome }, count: n });
    else cell.count += n;
  }

  /** One message handled in `seconds` (a BATCH is one observation, whatever it holds). */
  observe(op: string, seconds: number): void {
    this.#duration.observe(op, seconds);
  }

  movedIn(count: number): void {
    this.#movedIn.inc(count);
  }

  movedOut(count: number): void {
    this.#movedOut.inc(count);
  }
}
