import {
  ClusterSettings,
  type ConsulConfig,
  consulConfigFromEnv,
  effectiveReplication,
} from "@zkv/membership";
import { ExitCode } from "@zkv/protocol";
import { InvalidArgumentError } from "commander";
import { createLogger, type Logger } from "../logger.js";
import { METRICS_PORT_OFFSET } from "../node/metrics.js";
import { ZkvNode } from "../node/node.js";
import {
  hasCompleteMarker,
  nodeDir,
  openNodeStore,
  retireNodeDir,
  writeCompleteMarker,
} from "../store/index.js";
import { curveFromFlags } from "./cli-curve.js";
import { type ServerFlags, untilSignal } from "./server-flags.js";

const REMOVED = "removed from the cluster";

/** How long a removed node keeps answering (with redirects) before it exits. */
const REMOVED_GRACE_MS = 2000;

function defaultPort(flags: ServerFlags, nodeId: string): number {
  if (flags.port !== undefined) return flags.port;
  const index = /(\d+)$/.exec(nodeId)?.[1];
  if (index === undefined) throw new InvalidArgumentError(`--port is required for node id "${nodeId}"`);
  return flags.basePort + Number(index);
}

/**
 * --metrics-port, else the node's port + METRICS_PORT_OFFSET, so a launcher's nodes never share
 * one. A derived port is best effort (a node is not refused for want of metrics); one asked for
 * must be bound.
 */
function metricsOptions(flags: ServerFlags, port: number, log: Logger) {
  if (flags.metricsPort !== undefined) return { metricsPort: flags.metricsPort };
  const derived = port + METRICS_PORT_OFFSET;
  if (derived <= 65_535) return { metricsPort: derived, metricsBestEffort: true };
  log.warn(
    { port },
    `port + ${METRICS_PORT_OFFSET} is past 65535: no metrics unless --metrics-port is given`,
  );
  return {};
}

/** Runs one node in this process (`--node-id`) until a signal, or until the cluster removes it. */
export async function runSingleNode(flags: ServerFlags, nodeId: string): Promise<number> {
  const log = createLogger(flags.logLevel, { node: nodeId });
  const port = defaultPort(flags, nodeId);
  // Static-mode nodes (started by a --nodes launcher) run without Consul.
  const consul: ConsulConfig | undefined = process.env.ZKV_STATIC === "1" ? undefined : consulConfigFromEnv();
  const curve = curveFromFlags(flags);
  // Where the node starts; it follows later changes (zkv set-replication) through Consul.
  const replication = consul
    ? effectiveReplication((await new ClusterSettings(consul).replicationRecord()).record)
    : undefined;
  const store =
    flags.dataDir === undefined ? undefined : await openNodeStore(flags.dataDir, nodeId, flags, log);
  // Memory only: always empty at start. A data dir: empty unless it was once complete.
  const dir = flags.dataDir === undefined ? undefined : nodeDir(flags.dataDir, nodeId);
  const startsEmpty = dir === undefined || !(await hasCompleteMarker(dir));
  const node = new ZkvNode({
    nodeId,
    host: flags.host,
    port,
    ...metricsOptions(flags, port, log),
    ...(flags.advertise ? { advertise: flags.advertise } : {}),
    weight: flags.weight,
    ...(consul ? { consul } : {}),
    ...(curve ? { curve } : {}),
    ...(replication ? { replication } : {}),
    ttlSeconds: flags.ttl,
    ...(flags.maxMemory === undefined ? {} : { maxBytes: flags.maxMemory }),
    ...(flags.antiEntropyInterval === undefined
      ? {}
      : { antiEntropyIntervalMs: Math.round(flags.antiEntropyInterval * 1000) }),
    ...(flags.bootstrapGiveUp === undefined
      ? {}
      : { bootstrapGiveUpMs: Math.round(flags.bootstrapGiveUp * 1000) }),
    ...(flags.clientOutputLimit === undefined
      ? {}
      : { socketLimits: { maxReplyBytesPerPeer: flags.clientOutputLimit } }),
    logger: log,
    ...(store ? { store } : {}),
    startsEmpty,
    ...(dir ? { onBootstrapped: () => writeCompleteMarker(dir) } : {}),
  });
  const stop = untilSignal();
  try {
    await node.start();
  } catch (err) {
    await store?.close(); // frees the data dir at once, not only when this process is gone
    throw err;
  }
  const reason = await Promise.race([
    stop,
    launcherGone(),
    // Removed by remove-node: keep redirecting stragglers briefly, then leave for good (exit 0,
    // so the launcher does not restart it).
    node.removed.then(() => new Promise<string>((r) => setTimeout(() => r(REMOVED), REMOVED_GRACE_MS))),
  ]);
  log.info({ reason }, "shutting down");
  await node.close();
  await store?.close(); // idempotent: the dir must be free before it moves
  if (reason === REMOVED && flags.dataDir !== undefined) await retireNodeDir(flags.dataDir, nodeId, log);
  return ExitCode.OK;
}

/**
 * Resolves when the launcher that started this node is gone (its IPC channel closed: the kernel
 * closes it when the launcher dies, even by SIGKILL). A node must not outlive its supervisor:
 * orphans would keep the ports and Consul entries that the next launcher needs. Never resolves
 * for a node started on its own (no channel).
 */
function launcherGone(): Promise<string> {
  if (!process.channel) return new Promise(() => {});
  process.channel.unref(); // the channel alone must not keep a node running
  return new Promise((resolve) => process.once("disconnect", () => resolve("launcher is gone")));
}
