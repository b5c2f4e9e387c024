import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ClusterSettings,
  type ConsulConfig,
  ConsulPermissionError,
  ConsulUnavailableError,
  consulConfigFromEnv,
  desiredNodes,
  formatConsulAddr,
  type HashingMode,
  initialPlacement,
  listMembers,
  parseHashing,
} from "@zkv/membership";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ExitCode } from "./exit-codes.js";
import { ClusterLauncher } from "./launcher.js";
import { createLogger, LOG_LEVELS, type Logger } from "./logger.js";
import { METRICS_PORT_OFFSET } from "./metrics.js";
import { ZkvNode } from "./node.js";
import { DEFAULT_SYNC_POLICY, openNodeStore } from "./node-store.js";
import { waitForPings } from "./ping.js";
import { DataDirError, SYNC_POLICIES, type SyncPolicy } from "./store/index.js";

/** How long a removed node keeps answering (with redirects) before it exits. */
const REMOVED_GRACE_MS = 2000;

interface ServerFlags {
  nodes?: number;
  nodeId?: string;
  port?: number;
  host: string;
  advertise?: string;
  basePort: number;
  weight: number;
  hashing?: HashingMode;
  clusterSize?: number;
  ttl: number;
  metricsPort?: number;
  dataDir?: string;
  fsync?: SyncPolicy;
  logLevel: string;
}

const positiveInt = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

const portOrZero = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError(`${what} must be a port number (0 to 65535)`);
  return n;
};

function buildProgram(): Command {
  return new Command("zkv-server")
    .description("Start a zkv cluster (the launcher) or one zkv node.")
    .addHelpText(
      "after",
      `
Modes:
  (default)        read cluster_size from Consul KV and start that many nodes,
                   node-i on port base-port+i; supervise them until Ctrl-C
  --nodes N        phase 1: N nodes with static membership, no Consul
  --node-id ID     one node in this process (one node per container)

Every node serves Prometheus metrics on http://<host>:<port + ${METRICS_PORT_OFFSET}>/metrics
(node-0 on 2000 → 9000), registered in Consul as meta metrics_port.

Consul is found through CONSUL_HTTP_ADDR (host:port or http(s)://host:port,
default 127.0.0.1:8500) and CONSUL_HTTP_TOKEN.

Storage: without --data-dir a node keeps its data in memory only. With it, node <id>
keeps its data in <data-dir>/<id> (every mode), reloads it on start, and locks it.
--fsync says when a write is acknowledged:
  always  after it is fsynced (survives a power loss)
  batch   after it is in the OS, fsynced right behind (survives a process crash)
  off     at once, never fsynced (a crash may lose the last writes)

Exit codes: 0 stopped cleanly, 1 failed, 2 bad usage, 69 Consul unavailable,
73 data dir unusable or in use by another process.`,
    )
    .option("--nodes <n>", "phase 1: start n nodes without Consul", positiveInt("--nodes"))
    .option("--node-id <id>", "run a single node with this id")
    .option(
      "--port <port>",
      "single node: port (default base-port + the number in the id)",
      positiveInt("--port"),
    )
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--advertise <host>", "address announced in Consul (default: --host)")
    .option(
      "--base-port <port>",
      "port of node-0; node i listens on base-port + i",
      positiveInt("--base-port"),
      2000,
    )
    .option("--weight <w>", "single node: hashing weight", positiveInt("--weight"), 1)
    .addOption(
      new Option(
        "--hashing <mode>",
        "placement algorithm, stored in Consul KV for the whole cluster",
      ).choices(["ring", "hrw"]),
    )
    .option(
      "--cluster-size <n>",
      "write cluster_size to Consul KV before starting",
      positiveInt("--cluster-size"),
    )
    .option("--ttl <seconds>", "TTL of each node's Consul health check", positiveInt("--ttl"), 10)
    .option(
      "--metrics-port <port>",
      `single node: Prometheus metrics port (default: port + ${METRICS_PORT_OFFSET}; 0 disables)`,
      portOrZero("--metrics-port"),
    )
    .addOption(
      new Option("--data-dir <dir>", "keep data on disk, node <id> in <dir>/<id> (default: memory only)").env(
        "ZKV_DATA_DIR",
      ),
    )
    .addOption(
      new Option("--fsync <policy>", "with --data-dir: when a write is acknowledged (default: batch)")
        .choices(SYNC_POLICIES)
        .env("ZKV_FSYNC"),
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default(process.env.ZKV_LOG_LEVEL ?? "info")
        .env("ZKV_LOG_LEVEL"),
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

/** Parses argv and runs the chosen mode; resolves to the process exit code. */
export async function runServerCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // pnpm hands a typed `--` through literally: ignore a leading one.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  let flags: ServerFlags;
  try {
    flags = program.parse(args, { from: "user" }).opts<ServerFlags>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    throw err;
  }
  if (flags.nodes !== undefined && flags.nodeId !== undefined) {
    process.stderr.write("error: --nodes and --node-id are different modes; pick one\n");
    return ExitCode.USAGE;
  }
  if (flags.metricsPort !== undefined && flags.nodeId === undefined) {
    process.stderr.write(
      `error: --metrics-port is for a single node (--node-id); launched nodes use their port + ${METRICS_PORT_OFFSET}\n`,
    );
    return ExitCode.USAGE;
  }
  if (flags.fsync !== undefined && flags.dataDir === undefined) {
    process.stderr.write("error: --fsync needs --data-dir (without it data is kept in memory only)\n");
    return ExitCode.USAGE;
  }
  try {
    if (flags.nodeId !== undefined) return await runSingleNode(flags, flags.nodeId);
    return await runLauncher(flags);
  } catch (err) {
    if (err instanceof ConsulUnavailableError || err instanceof ConsulPermissionError) {
      process.stderr.write(`error: ${err.message}\n`);
      return ExitCode.UNAVAILABLE;
    }
    if (err instanceof DataDirError) {
      process.stderr.write(`error: ${err.code}: ${err.message}\n`);
      return ExitCode.CANT_CREATE;
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return ExitCode.FAILURE;
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM. Later signals are absorbed: on Ctrl-C a terminal
 * signals the whole process group and the launcher then sends SIGTERM too, and neither may cut
 * a clean shutdown short (the launcher escalates to SIGKILL itself after a grace period).
 */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const on = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = signal;
        resolve(signal);
      }
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

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

async function runSingleNode(flags: ServerFlags, nodeId: string): Promise<number> {
  const log = createLogger(flags.logLevel, { node: nodeId });
  const port = defaultPort(flags, nodeId);
  // Static-mode nodes (started by a --nodes launcher) run without Consul.
  const consul: ConsulConfig | undefined = process.env.ZKV_STATIC === "1" ? undefined : consulConfigFromEnv();
  const store =
    flags.dataDir === undefined ? undefined : await openNodeStore(flags.dataDir, nodeId, flags.fsync, log);
  const node = new ZkvNode({
    nodeId,
    host: flags.host,
    port,
    ...metricsOptions(flags, port, log),
    ...(flags.advertise ? { advertise: flags.advertise } : {}),
    weight: flags.weight,
    ...(consul ? { consul } : {}),
    ttlSeconds: flags.ttl,
    logger: log,
    ...(store ? { store } : {}),
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
    // Removed by remove-node: keep redirecting stragglers briefly, then leave for good (exit 0,
    // so the launcher does not restart it).
    node.removed.then(
      () => new Promise<string>((r) => setTimeout(() => r("removed from the cluster"), REMOVED_GRACE_MS)),
    ),
  ]);
  log.info({ reason }, "shutting down");
  await node.close();
  return ExitCode.OK;
}

async function runLauncher(flags: ServerFlags): Promise<number> {
  const log = createLogger(flags.logLevel, { role: "launcher" });
  const entry = process.argv[1] ?? fileURLToPath(new URL("./main.ts", import.meta.url));
  const nodeArgs = ["--host", flags.host, "--ttl", String(flags.ttl), "--log-level", flags.logLevel];
  if (flags.advertise) nodeArgs.push("--advertise", flags.advertise);
  if (flags.dataDir !== undefined)
    nodeArgs.push("--data-dir", resolve(flags.dataDir), "--fsync", flags.fsync ?? DEFAULT_SYNC_POLICY);

  if (flags.nodes !== undefined) {
    const nodes = nodeSpecs(flags.nodes, flags.basePort);
    const launcher = new ClusterLauncher({ nodes, entry, nodeArgs, logger: log, env: { ZKV_STATIC: "1" } });
    const stop = untilSignal();
    await launcher.start();
    const missing = await waitForPings(
      flags.host,
      nodes.map((n) => n.port),
      30_000,
    );
    if (missing.length > 0) {
      await launcher.close();
      throw new Error(`nodes on ports ${missing.join(", ")} never answered`);
    }
    printTable(nodes.map((n) => ({ id: n.id, address: flags.host, port: n.port, health: "serving" })));
    process.stdout.write(`static cluster of ${nodes.length} nodes ready (no Consul); Ctrl-C stops it\n`);
    return finish(launcher, await stop, log);
  }

  const consul = consulConfigFromEnv();
  const settings = new ClusterSettings(consul);
  if (flags.clusterSize !== undefined) await settings.setClusterSize(flags.clusterSize);
  if (flags.hashing !== undefined) await settings.setHashing(parseHashing(flags.hashing));
  const hashing = await settings.hashing();
  const record = await bootstrapPlacement(settings, flags, consul);
  const nodes = desiredNodes(record).map((n) => ({ id: n.id, port: n.port }));
  log.info(
    { nodes: nodes.length, epoch: record.epoch, hashing, consul: formatConsulAddr(consul) },
    "starting cluster",
  );
  const launcher = new ClusterLauncher({ nodes, entry, nodeArgs, consul, logger: log });
  const stop = untilSignal();
  let members: Awaited<ReturnType<ClusterLauncher["start"]>>;
  try {
    members = await launcher.start();
  } catch (err) {
    await launcher.close();
    throw err;
  }
  printTable(members ?? []);
  process.stdout.write(`cluster of ${nodes.length} nodes ready (hashing: ${hashing}); Ctrl-C stops it\n`);
  // add-node arrives as a push: the placement record names a node nobody runs yet.
  const watch = settings.watchPlacement(log);
  await watch.start();
  watch.on("change", (next) => {
    for (const n of next ? desiredNodes(next) : []) {
      if (launcher.ensure({ id: n.id, port: n.port }))
        log.info({ node: n.id, port: n.port }, "launching added node");
    }
  });
  const signal = await stop;
  watch.close();
  return finish(launcher, signal, log);
}

/**
 * The placement to launch. On a cold start (no zkv node registered, no rebalance in progress)
 * it is derived afresh from `cluster_size`, as the seed defines; otherwise the stored record,
 * which add-node and remove-node keep, wins.
 */
async function bootstrapPlacement(settings: ClusterSettings, flags: ServerFlags, consul: ConsulConfig) {
  const size = await settings.clusterSize();
  const { record, index } = await settings.placementRecord();
  const cold = !record?.transition && (await listMembers(consul)).length === 0;
  if (record && !cold) return record;
  if (size === undefined) {
    throw new Error(
      `cluster_size is not set in Consul KV at ${formatConsulAddr(consul)}: ` +
        "set it with `consul kv put cluster_size 4`, or pass --cluster-size 4",
    );
  }
  const fresh = initialPlacement(size, flags.host, flags.basePort);
  if (!(await settings.writePlacement(fresh, index)))
    throw new Error("placement record changed while starting; retry");
  return fresh;
}

async function finish(launcher: ClusterLauncher, signal: NodeJS.Signals, log: Logger): Promise<number> {
  log.info({ signal }, "stopping cluster");
  await launcher.close();
  return ExitCode.OK;
}

function nodeSpecs(count: number, basePort: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `node-${i}`, port: basePort + i }));
}

function printTable(
  rows: ReadonlyArray<{ id: string; address: string; port: number; health: string }>,
): void {
  const lines = [
    ["NODE", "ADDRESS", "HEALTH"],
    ...rows.map((r) => [r.id, `${r.address}:${r.port}`, r.health]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const l of lines) process.stdout.write(`${l.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}\n`);
}
