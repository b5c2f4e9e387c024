import { describeConsulError } from "@zkv/membership";
import { ErrorCode, ExitCode, errorCodeOf, exitCodeFor } from "@zkv/protocol";
import { addCurveOptions, exitQuietlyOnEpipe, packageVersion, versionRequested } from "@zkv/protocol/cli";
import { Command, CommanderError } from "commander";
import { registerBackupCommands } from "./backup.js";
import { CliExit } from "./cli-exit.js";
import { registerClusterCommands } from "./cluster.js";
import { registerKeygen } from "./curve.js";
import { registerDashboardCommand } from "./dashboard.js";
import { registerDataCommands } from "./data.js";
import { addClientOptions } from "./flags.js";
import { err, out } from "./output.js";
import { registerRebalanceCommands } from "./rebalance.js";
import { registerRepairCommand } from "./repair.js";
import { registerSetReplicationCommand } from "./set-replication.js";

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
  addCurveOptions(program, "client");
  registerKeygen(program);
  registerDataCommands(program);
  registerClusterCommands(program);
  registerRebalanceCommands(program);
  registerSetReplicationCommand(program);
  registerRepairCommand(program);
  registerBackupCommands(program);
  registerDashboardCommand(program);
  return program;
}

/** zkv's package.json: the sources and the compiled `zkv` (dist/cli/zkv.mjs) sit two folders below it. */
const MANIFEST = new URL("../../package.json", import.meta.url);

/** Parses argv, runs the command and resolves to the exit code. */
export async function runClientCli(argv: readonly string[]): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const program = buildProgram();
  exitQuietlyOnEpipe();
  if (args.length === 0) {
    program.outputHelp();
    return ExitCode.USAGE;
  }
  if (versionRequested(args)) {
    out(packageVersion(MANIFEST));
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
  return `error: ${describeConsulError(e) ?? `${named}${message}`}`;
}
