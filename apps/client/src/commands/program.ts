import { createRequire } from "node:module";
import { consulAdvice } from "@zkv/membership";
import { ErrorCode, ExitCode, errorCodeOf, exitCodeFor } from "@zkv/protocol";
import { Command, CommanderError } from "commander";
import { registerBackupCommands } from "./backup.js";
import { CliExit } from "./cli-exit.js";
import { registerClusterCommands } from "./cluster.js";
import { addCurveOptions, registerKeygen } from "./curve.js";
import { registerDashboardCommand } from "./dashboard.js";
import { registerDataCommands } from "./data.js";
import { addClientOptions } from "./flags.js";
import { err, exitQuietlyOnEpipe, out } from "./output.js";
import { registerRebalanceCommands } from "./rebalance.js";
import { registerRepairCommand } from "./repair.js";

/** The `zkv` program: its global options and help, and every command group. */
function buildProgram(): Command {
  const program = addClientOptions(
    new Command("zkv").description("zkv command line: read and write keys, inspect and load a zkv cluster."),
  )
    .addHelpText(
      "after",
      `
Consul is found through CONSUL_HTTP_ADDR (host:port or http(s)://host:port, default
127.0.0.1:8500) and CONSUL_HTTP_TOKEN (an ACL token).

CURVE: --curve-secret-key-file (or ZKV_CURVE_SECRET_KEY[_FILE]) is this client's key, whose
public half must be on the nodes' allow-list; nodes registered in Consul publish their own
public key. \`zkv keygen --out DIR\` makes a keypair.

zkv --version (or -V) prints zkv's version.

Exit codes: 0 ok, 1 failed (OUT_OF_MEMORY included: the node's --max-memory budget is
reached), 2 bad usage, 3 key not found, 4 change refused, 5 conflict (put --if-absent of a key
that exists, cas or put --if-version at another version), 65 not a zkv backup (import),
69 Consul or node unavailable, 77 a node refused this client's key or Consul its token,
78 bad CURVE key file.`,
    )
    .exitOverride()
    .showHelpAfterError();
  addCurveOptions(program);
  registerKeygen(program);
  registerDataCommands(program);
  registerClusterCommands(program);
  registerRebalanceCommands(program);
  registerRepairCommand(program);
  registerBackupCommands(program);
  registerDashboardCommand(program);
  return program;
}

/**
 * The package's version. Read at run time, relative to this file: the sources and the compiled
 * `zkv` (dist/cli/zkv.mjs) both sit two folders below package.json.
 */
function packageVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
}

/** Parses argv, runs the command and resolves to the exit code. */
export async function runClientCli(argv: readonly string[]): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const program = buildProgram();
  exitQuietlyOnEpipe();
  if (args.length === 0) {
    program.outputHelp();
    return ExitCode.USAGE;
  }
  // By hand, not commander's .version(): that would also take `zkv get --version k`'s flag.
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    out(packageVersion());
    return ExitCode.OK;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    if (e instanceof CliExit) {
      err(e.message);
      return e.exitCode;
    }
    err(errorMessage(e));
    return exitCodeFor(e);
  }
}

/** What the user reads on stderr for an error: the message, and what to try where zkv knows. */
function errorMessage(e: unknown): string {
  const code = errorCodeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  const named = code === ErrorCode.CONFLICT || code === ErrorCode.OUT_OF_MEMORY ? `${code}: ` : "";
  if (code === "CONSUL_UNAVAILABLE") return `error: ${message}\n${consulAdvice()}`;
  if (code === "CONSUL_PERMISSION_DENIED" && !process.env.CONSUL_HTTP_TOKEN)
    return `error: ${message} (CONSUL_HTTP_TOKEN is not set)`;
  return `error: ${named}${message}`;
}
