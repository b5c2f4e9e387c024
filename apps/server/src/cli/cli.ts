import { HASHING_MODES } from "@zkv/hashring";
import { describeConsulError } from "@zkv/membership";
import { ExitCode, errorCodeOf, exitCodeFor } from "@zkv/protocol";
import {
  addCurveOptions,
  exitQuietlyOnEpipe,
  packageVersion,
  positiveInt,
  positiveNumber,
  versionRequested,
} from "@zkv/protocol/cli";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { LOG_LEVELS } from "../logger.js";
import { METRICS_PORT_OFFSET } from "../node/metrics.js";
import { addMemoryOptions } from "./memory-flags.js";
import { runLauncher } from "./run-launcher.js";
import { runSingleNode } from "./run-node.js";
import type { ServerFlags } from "./server-flags.js";
import { addStorageOptions, checkStorageFlags } from "./storage-flags.js";

/** zkv-server's package.json: the sources, tsc's dist/ and dist/cli/zkv-server.mjs sit two folders below it. */
const MANIFEST = new URL("../../package.json", import.meta.url);

/** Seconds, fractions allowed, 0 included (it turns a background task off). */
const secondsOrZero = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`${what} must be a number of seconds (0 turns it off)`);
  return n;
};

const portOrZero = (what: string) => (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError(`${what} must be a port number (0 to 65535)`);
  return n;
};

function buildProgram(): Command {
  const program = new Command("zkv-server")
    .description("Start a zkv cluster (the launcher) or one zkv node.")
    .addHelpText(
      "after",
      `
Modes:
  (default)        read cluster_size from Consul KV and start that many nodes,
                   node-i on port base-port+i; supervise them until Ctrl-C
  --nodes N        N nodes with static membership, no Consul
  --node-id ID     one node in this process (one node per container)

Every node serves Prometheus metrics on http://<host>:<port + ${METRICS_PORT_OFFSET}>/metrics
(node-0 on 2000 → 9000), registered in Consul as meta metrics_port.

Consul is found through CONSUL_HTTP_ADDR (host:port or http(s)://host:port,
default 127.0.0.1:8500) and CONSUL_HTTP_TOKEN (an ACL token; docs/security.md, "Consul
ACLs", has the policy it needs).

Without --curve-secret-key-file (or ZKV_CURVE_SECRET_KEY[_FILE]) traffic is plaintext and
unauthenticated: keep --host at 127.0.0.1 unless the network is trusted.

Storage: without --data-dir a node keeps its data in memory only. With it, node <id>
keeps its data in <data-dir>/<id> (every mode), reloads it on start, and locks it.
--fsync says when a write is acknowledged:
  always  after it is fsynced (survives a power loss)
  batch   after it is in the OS, fsynced right behind (survives a process crash)
  off     at once, never fsynced (a crash may lose the last writes)

Memory: --max-memory 64mb gives each node a budget for its keys and values (UTF-8 bytes,
as STATS reports them; k=1000, kb=1024, as in redis.conf). A write past it is refused with
OUT_OF_MEMORY and nothing is dropped; reads, deletes and shrinking writes still work.
--client-output-limit (default 64mb) bounds the replies a node holds for one client that
does not read them; past it that client is dropped (its later requests get no answer).

zkv-server --version (or -V) prints zkv-server's version.

Exit codes: 0 stopped cleanly, 1 failed, 2 bad usage, 4 refused (the cluster already
runs, or the flags contradict the stored cluster), 69 Consul unavailable, 73 data dir
unusable or in use by another process, 77 Consul denied permission (CONSUL_HTTP_TOKEN),
78 bad CURVE key or allow-list. docs/operations.md has the table for both programs.`,
    )
    .option("--nodes <n>", "start n nodes with static membership, without Consul", positiveInt("--nodes"))
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
      ).choices(HASHING_MODES),
    )
    .option(
      "--cluster-size <n>",
      "start a new cluster of n nodes (written to Consul KV cluster_size); an existing cluster keeps its members",
      positiveInt("--cluster-size"),
    )
    .option(
      "--reset",
      "forget the stored placement and start the cluster afresh (refused while it runs or its data dirs hold keys)",
    )
    .option(
      "--replicas <n>",
      "copies of each key, stored in Consul KV zkv/replication for the whole cluster (default 1)",
      positiveInt("--replicas"),
    )
    .option(
      "--write-quorum <w>",
      "with --replicas: default w (default: a majority)",
      positiveInt("--write-quorum"),
    )
    .option(
      "--read-quorum <r>",
      "with --replicas: default r (default: a majority)",
      positiveInt("--read-quorum"),
    )
    .option("--ttl <seconds>", "TTL of each node's Consul health check", positiveInt("--ttl"), 10)
    .addOption(
      new Option(
        "--anti-entropy-interval <seconds>",
        "with replication: seconds between a node's background comparisons of its ranges with their other replicas (default 60; 0 turns them off, `zkv repair` still runs one)",
      )
        .argParser(secondsOrZero("--anti-entropy-interval"))
        .env("ZKV_ANTI_ENTROPY_INTERVAL"),
    )
    .addOption(
      new Option(
        "--bootstrap-give-up <seconds>",
        "with replication: how long a node that starts without its copies waits for a replica that is down or makes no progress, before it serves with what the others had (default 15)",
      )
        .argParser(positiveNumber("--bootstrap-give-up"))
        .env("ZKV_BOOTSTRAP_GIVE_UP"),
    )
    .option(
      "--metrics-port <port>",
      `single node: Prometheus metrics port (default: port + ${METRICS_PORT_OFFSET}; 0 disables)`,
      portOrZero("--metrics-port"),
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(LOG_LEVELS)
        .default(process.env.ZKV_LOG_LEVEL ?? "info")
        .env("ZKV_LOG_LEVEL"),
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return addMemoryOptions(addStorageOptions(addCurveOptions(program, "node")));
}

/** Parses argv and runs the chosen mode; resolves to the process exit code. */
export async function runServerCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  exitQuietlyOnEpipe();
  // pnpm hands a typed `--` through literally: ignore a leading one.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  if (versionRequested(args)) {
    process.stdout.write(`${packageVersion(MANIFEST)}\n`);
    return ExitCode.OK;
  }
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
  if (flags.reset && (flags.nodes !== undefined || flags.nodeId !== undefined)) {
    process.stderr.write("error: --reset is for a launcher with Consul (it resets the stored placement)\n");
    return ExitCode.USAGE;
  }
  if (flags.replicas === undefined && (flags.writeQuorum ?? flags.readQuorum) !== undefined) {
    process.stderr.write("error: --write-quorum and --read-quorum need --replicas\n");
    return ExitCode.USAGE;
  }
  if (flags.replicas !== undefined && flags.nodes !== undefined) {
    process.stderr.write("error: replication needs Consul (peers find each other there); drop --nodes\n");
    return ExitCode.USAGE;
  }
  const storageProblem = checkStorageFlags(flags);
  if (storageProblem) {
    process.stderr.write(`error: ${storageProblem}\n`);
    return ExitCode.USAGE;
  }
  if (flags.metricsPort !== undefined && flags.nodeId === undefined) {
    process.stderr.write(
      `error: --metrics-port is for a single node (--node-id); launched nodes use their port + ${METRICS_PORT_OFFSET}\n`,
    );
    return ExitCode.USAGE;
  }
  try {
    if (flags.nodeId !== undefined) return await runSingleNode(flags, flags.nodeId);
    return await runLauncher(flags);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return exitCodeFor(err);
  }
}

/**
 * What the operator reads on stderr: a refusal or an unusable data dir names its code (scripts
 * match on it), a bad key says it is about CURVE, a Consul error says where zkv looked.
 */
function errorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCodeOf(err);
  const exit = exitCodeFor(err);
  if (exit === ExitCode.CONFIG) return `error: CURVE: ${message}`;
  if (exit === ExitCode.REFUSED || exit === ExitCode.CANT_CREATE) return `error: ${code}: ${message}`;
  return `error: ${describeConsulError(err) ?? message}`;
}
