import { ErrorCode, isZkvError } from "@zkv/protocol";
import { Command, CommanderError } from "commander";
import { RebalanceError } from "../rebalance/plan.js";
import { registerBackupCommands } from "./backup.js";
import { registerClusterCommands } from "./cluster.js";
import { addCurveOptions, registerKeygen } from "./curve.js";
import { registerDashboardCommand } from "./dashboard.js";
import { registerDataCommands } from "./data.js";
import { CliExit, ExitCode } from "./exit-codes.js";
import { addClientOptions } from "./flags.js";
import { err, exitQuietlyOnEpipe } from "./output.js";
import { registerRebalanceCommands } from "./rebalance.js";

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
  registerBackupCommands(program);
  registerDashboardCommand(program);
  return program;
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
  try {
    await program.parseAsync(args, { from: "user" });
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    if (e instanceof CliExit) {
      err(e.message);
      return e.exitCode;
    }
    const code = (e as { code?: string }).code;
    const named = code === ErrorCode.CONFLICT || code === ErrorCode.OUT_OF_MEMORY ? `${code}: ` : "";
    err(`error: ${named}${(e as Error).message}`);
    if (code === ErrorCode.CONFLICT) return ExitCode.CONFLICT;
    if (e instanceof RebalanceError || code === "LOCK_HELD") return ExitCode.REFUSED;
    if (code === "CONSUL_PERMISSION_DENIED" || code === ErrorCode.AUTH_FAILED) return ExitCode.NO_PERMISSION;
    if (code === "INVALID_CURVE_KEY") return ExitCode.CONFIG;
    if (code === "CONSUL_UNAVAILABLE" || (isZkvError(e) && e.code === ErrorCode.NODE_UNAVAILABLE))
      return ExitCode.UNAVAILABLE;
    return ExitCode.FAILURE;
  }
}
