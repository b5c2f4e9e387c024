import { ErrorCode, isZkvError } from "@zkv/protocol";
import { SingleBar } from "cli-progress";
import { Command, CommanderError, Option } from "commander";
import { runLoad } from "../lib/requests/load.js";
import { bytesCell, nodeRows } from "../lib/requests/nodes-view.js";
import { registerBackupCommands } from "./backup.js";
import { addCurveOptions, registerKeygen } from "./curve.js";
import { registerDashboardCommand } from "./dashboard.js";
import { registerDataCommands } from "./data.js";
import { ExitCode } from "./exit-codes.js";
import { CliExit, positiveInt, withClient } from "./flags.js";
import { err, exitQuietlyOnEpipe, out, table, write } from "./output.js";
import { RebalanceError, registerRebalanceCommands } from "./rebalance.js";

function buildProgram(): Command {
  const program = new Command("zkv")
    .description("zkv command line: read and write keys, inspect and load a zkv cluster.")
    .option(
      "--nodes <n>",
      "phase 1: a static cluster of n nodes on host:base-port+i, no Consul",
      positiveInt("--nodes"),
    )
    .addOption(
      new Option("--hashing <mode>", "placement in phase 1 (Consul clusters store their own)")
        .choices(["ring", "hrw"])
        .default("ring"),
    )
    .option("--host <host>", "phase 1: host of the nodes", "127.0.0.1")
    .option("--base-port <port>", "phase 1: port of node-0", positiveInt("--base-port"), 2000)
    .option("--timeout <ms>", "per-request timeout in milliseconds", positiveInt("--timeout"), 5000)
    .option("--json", "machine-readable output")
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

  program
    .command("delete <key>")
    .description("delete a key")
    .action((key: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const deleted = await client.delete(key);
        out(
          flags.json
            ? JSON.stringify({ ok: true, deleted })
            : deleted
              ? "deleted"
              : "not found (nothing to delete)",
        );
      }),
    );

  program
    .command("all")
    .description("every key and value in the cluster, in key order (streamed from all nodes)")
    .action((_o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        let n = 0;
        if (flags.json) await write('{"collection":[');
        for await (const kv of client.scan()) {
          await write(flags.json ? `${n > 0 ? "," : ""}${JSON.stringify(kv)}` : `${kv.key}\t${kv.value}\n`);
          n++;
        }
        if (flags.json) out("]}");
        else err(`${n} keys`);
      }),
    );

  program
    .command("locate <key>")
    .description("which node owns a key")
    .action((key: string, _o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const m = client.locate(key);
        out(
          flags.json
            ? JSON.stringify({ key, node: m.id, address: m.address, port: m.port, hashing: client.hashing })
            : `${m.id}\t${m.address}:${m.port}`,
        );
      }),
    );

  program
    .command("nodes")
    .description(
      "desired members (the placement) and live ones (Consul), with health, weight, keys and bytes (used/budget with --max-memory)",
    )
    .action((_o, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const rows = await nodeRows(client);
        const t = client.placementRecord?.transition;
        if (flags.json)
          return out(
            JSON.stringify({
              hashing: client.hashing,
              epoch: client.placementRecord?.epoch,
              transition: t,
              members: rows,
            }),
          );
        table(
          ["NODE", "DESIRED", "LIVE", "ADDRESS", "HEALTH", "WEIGHT", "KEYS", "BYTES", "OPS", "UPTIME"],
          rows.map((r) => [
            r.id,
            r.desired,
            r.live ? "yes" : "no",
            r.address ?? "-",
            r.health ?? "-",
            String(r.weight),
            r.stats ? String(r.stats.keys) : "?",
            r.stats ? bytesCell(r.stats) : "?",
            r.stats ? String(r.stats.opsServed) : "?",
            r.stats ? `${Math.round(r.stats.uptimeSeconds)}s` : "?",
          ]),
        );
        if (t)
          err(
            `rebalance in progress: ${t.kind} ${t.node} (started ${t.startedAt}); rerun its command to finish it`,
          );
      }),
    );

  program
    .command("load")
    .description("the seed's producer: PUT generated records, then print where they went")
    .option("--count <n>", "records to write", positiveInt("--count"), 1000)
    .option("--prefix <prefix>", "key prefix", "key-")
    .option(
      "--concurrency <n>",
      "writes outstanding (coalesced into batches)",
      positiveInt("--concurrency"),
      20_000,
    )
    .action((o: { count: number; prefix: string; concurrency: number }, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        const bar =
          process.stderr.isTTY && !flags.json
            ? new SingleBar({
                format: "load [{bar}] {value}/{total} keys | {eta}s left",
                stream: process.stderr,
              })
            : undefined;
        bar?.start(o.count, 0);
        const result = await runLoad(client, { ...o, onProgress: (done) => bar?.update(done) });
        bar?.stop();
        if (flags.json) out(JSON.stringify({ ...result, hashing: client.hashing }));
        else {
          out(
            `wrote ${result.written} keys in ${result.seconds.toFixed(2)} s (${Math.round(result.written / result.seconds)} keys/s), hashing ${client.hashing}`,
          );
          table(
            ["NODE", "KEYS", "SHARE"],
            Object.entries(result.perNode).map(([id, n]) => [
              id,
              String(n),
              `${((100 * n) / Math.max(1, result.written)).toFixed(1)}%`,
            ]),
          );
        }
        if (result.failed > 0)
          throw new CliExit(ExitCode.FAILURE, `${result.failed} writes failed (first: ${result.firstError})`);
      }),
    );
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
