import { ExitCode } from "@zkv/protocol";
import { positiveInt } from "@zkv/protocol/cli";
import type { Command } from "commander";
import { runLoad } from "../lib/requests/load.js";
import { nodeRows } from "../lib/requests/nodes-view.js";
import { CliExit } from "./cli-exit.js";
import { withClient } from "./flags.js";
import { err, out, table } from "./output.js";
import { progressBar } from "./progress-bar.js";

/** Registers `zkv nodes` (who is in the cluster, and how each node is doing) and `zkv load`. */
export function registerClusterCommands(program: Command): void {
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
        for (const r of rows) {
          const cut = r.stats?.unreachablePeers ?? [];
          if (cut.length > 0)
            err(
              `${r.id} cannot reach ${cut.join(", ")}, which Consul shows passing: a network cut between nodes (requests it coordinates go to other replicas)`,
            );
        }
      }),
    );

  program
    .command("load")
    .description("write generated records (key-i = value-i), then print where they went")
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
        const bar = progressBar("load", flags.json);
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
}

/** `zkv nodes`' BYTES cell: the bytes held, and against the node's budget when it has one. */
function bytesCell(stats: { readonly bytes: number; readonly maxBytes?: number | null | undefined }): string {
  if (stats.maxBytes === undefined || stats.maxBytes === null) return String(stats.bytes);
  const share = Math.floor((100 * stats.bytes) / stats.maxBytes);
  return `${stats.bytes}/${stats.maxBytes} (${share}%)`;
}
