import { HASHING_MODES, type HashingMode } from "@zkv/hashring";
import { consulConfigFromEnv } from "@zkv/membership";
import { ExitCode } from "@zkv/protocol";
import { type CurveFlags, positiveInt } from "@zkv/protocol/cli";
import { type Command, Option } from "commander";
import { type ClientOptions, ZkvClient } from "../lib/requests/client.js";
import { CliExit } from "./cli-exit.js";
import { curveFromFlags } from "./curve.js";

/** The options every zkv command takes (see `zkv --help`). */
export interface GlobalFlags extends CurveFlags {
  nodes?: number;
  hashing: HashingMode;
  host: string;
  basePort: number;
  timeout: number;
  json?: boolean;
}

/** An argument error found by a command before it connects: printed, exit 2. */
export function usage(message: string): CliExit {
  return new CliExit(ExitCode.USAGE, `error: ${message}`);
}

/** Adds the options that say where the cluster is and how to talk to it (GlobalFlags). */
export function addClientOptions(program: Command): Command {
  return program
    .option(
      "--nodes <n>",
      "talk to a static cluster of n nodes on host:base-port+i, without Consul",
      positiveInt("--nodes"),
    )
    .addOption(
      new Option("--hashing <mode>", "placement of a static cluster (a Consul cluster stores its own)")
        .choices(HASHING_MODES)
        .default("ring"),
    )
    .option("--host <host>", "static cluster: host of the nodes", "127.0.0.1")
    .option("--base-port <port>", "static cluster: port of node-0", positiveInt("--base-port"), 2000)
    .option("--timeout <ms>", "per-request timeout in milliseconds", positiveInt("--timeout"), 5000)
    .option("--json", "machine-readable output");
}

function clientOptions(flags: GlobalFlags): ClientOptions {
  const curve = curveFromFlags(flags);
  const common = { timeoutMs: flags.timeout, ...(curve ? { curve } : {}) };
  if (flags.nodes !== undefined) {
    return {
      ...common,
      static: { nodes: flags.nodes, host: flags.host, basePort: flags.basePort, hashing: flags.hashing },
    };
  }
  return { ...common, consul: consulConfigFromEnv() };
}

/** Runs `body` with a connected client and closes it whatever happens. */
export async function withClient(
  cmd: Command,
  body: (client: ZkvClient, flags: GlobalFlags) => Promise<void>,
): Promise<void> {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const client = await ZkvClient.connect(clientOptions(flags));
  try {
    await body(client, flags);
  } finally {
    await client.close();
  }
}
