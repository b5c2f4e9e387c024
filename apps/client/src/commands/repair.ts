import { ExitCode, exitCodeFor } from "@zkv/protocol";
import type { Command } from "commander";
import { repairPairs, runRepair } from "../repair/repair.js";
import { CliExit } from "./cli-exit.js";
import { withClient } from "./flags.js";
import { err, out, table } from "./output.js";
import { progressBar } from "./progress-bar.js";

/** Registers `zkv repair`: one anti-entropy pass on demand. */
export function registerRepairCommand(program: Command): void {
  program
    .command("repair")
    .description(
      "compare replicas (anti-entropy): every key that differs between two replicas gets the newest version on both, deletions included",
    )
    .option("--node <id>", "only the ranges this node replicates, compared with each of its co-replicas")
    .action((o: { node?: string }, cmd: Command) =>
      withClient(cmd, async (client, flags) => {
        if (client.replication.n <= 1) {
          if (flags.json) return out(JSON.stringify({ pairs: [], ranges: 0, different: 0, repaired: 0 }));
          return out("the cluster keeps one copy of each key (n=1): there are no replicas to compare");
        }
        const t = client.placementRecord?.transition;
        if (t) {
          throw new CliExit(
            ExitCode.REFUSED,
            `error: a rebalance is in progress (${t.kind} ${t.node}): rerun its command to finish it, then repair`,
          );
        }
        const members = client.placementRecord?.members.map((m) => m.id) ?? client.members.map((m) => m.id);
        const pairs = repairPairs(members, o.node);
        const bar = progressBar("repair", flags.json, "{eta}s left", "node pairs");
        bar?.start(pairs.length, 0);
        const summary = await runRepair(
          client,
          pairs,
          (done) => bar?.update(done),
          (message) => err(`repair: ${message}`),
        );
        bar?.stop();
        if (flags.json) out(JSON.stringify(summary));
        else {
          out(
            `compared ${summary.ranges} ranges over ${pairs.length} node pairs: ${summary.different} keys different, ` +
              `${summary.repaired} repaired (${Math.round(summary.bytes / 1024)} KiB exchanged, ${summary.seconds.toFixed(1)} s)`,
          );
          table(
            ["NODE", "PEER", "RANGES", "DIFFERENT", "REPAIRED", "ERROR"],
            summary.pairs.map((p) => [
              p.node,
              p.peer,
              String(p.ranges),
              String(p.different),
              String(p.repaired),
              p.error ? `${p.error.code}: ${p.error.message}` : "",
            ]),
          );
        }
        const failed = summary.pairs.find((p) => p.error);
        if (failed?.error) {
          throw new CliExit(
            exitCodeFor(failed.error),
            `error: ${summary.failed} of ${pairs.length} node pairs failed (first: ${failed.node} with ${failed.peer}: ` +
              `${failed.error.code}: ${failed.error.message})`,
          );
        }
      }),
    );
}
