import { consulConfigFromEnv } from "@zkv/membership";
import { type CurveFlags, positiveNumber } from "@zkv/protocol/cli";
import { type Command, InvalidArgumentError } from "commander";
import { planReplication, type ReplicationTarget, setReplication } from "../rebalance/set-replication.js";
import { curveFromFlags } from "./curve.js";
import { err, out } from "./output.js";
import { progressBar } from "./progress-bar.js";

interface SetReplicationFlags {
  writeQuorum?: number;
  readQuorum?: number;
  plan?: boolean;
  wait: number;
  json?: boolean;
  curve: CurveFlags;
}

const setting = (s: { n: number; w: number; r: number }) => `n=${s.n} (w=${s.w}, r=${s.r})`;

/** Runs set-replication with a progress bar (on a terminal) and a summary. */
async function run(target: ReplicationTarget, flags: SetReplicationFlags): Promise<void> {
  const consul = consulConfigFromEnv();
  const curve = curveFromFlags(flags.curve);
  if (flags.plan) {
    const plan = await planReplication(consul, target, curve);
    if (flags.json) return out(JSON.stringify(plan));
    return out(
      `${setting(plan.from)} → ${setting(plan.to)}: about ${plan.keys} keys; ${plan.copiesAdded} copies to add, ` +
        `${plan.copiesTrimmed} to trim; while it runs a write needs ${plan.writeQuorumDuringChange} replicas`,
    );
  }
  const bar = progressBar("copying", flags.json, "{eta}s left");
  let barStarted = false;
  const result = await setReplication({
    consul,
    target,
    ...(curve ? { curve } : {}),
    lockWaitMs: flags.wait * 1000,
    onWait: (message) => err(message),
    onProgress: (p) => {
      if (p.phase !== "moving" || !bar) return;
      if (!barStarted) bar.start(p.total, 0);
      barStarted = true;
      bar.update(p.done);
    },
  });
  if (barStarted) bar?.stop();
  if (flags.json) return out(JSON.stringify(result));
  if (result.unchanged) return out(`the replication setting is ${setting(result.to)} already`);
  out(
    `replication ${setting(result.from)} → ${setting(result.to)}${result.resumed ? " (resumed)" : ""}: ` +
      `${result.copied} copies sent for ${result.scanned} keys scanned, ${result.trimmed} trimmed, in ${result.seconds.toFixed(1)} s`,
  );
}

function factor(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("a positive integer");
  return n;
}

/** Registers `set-replication`; refusals end with exit code 4 through the CLI's exit-code mapping. */
export function registerSetReplicationCommand(program: Command): void {
  program
    .command("set-replication <n>")
    .description(
      "change the replication factor while the cluster serves: new copies are made before reads use them, extra copies trimmed after",
    )
    .option(
      "--write-quorum <w>",
      "replicas a write must reach (default: a majority of n)",
      positiveNumber("--write-quorum"),
    )
    .option(
      "--read-quorum <r>",
      "replicas a read must hear from (default: a majority of n)",
      positiveNumber("--read-quorum"),
    )
    .option("--plan", "dry run: print the copies the change would add or trim")
    .option("--wait <seconds>", "wait this long for another rebalance's lock", positiveNumber("--wait"), 0)
    .action((n: string, o: SetReplicationFlags, cmd: Command) => {
      const target = {
        n: factor(n),
        ...(o.writeQuorum === undefined ? {} : { w: o.writeQuorum }),
        ...(o.readQuorum === undefined ? {} : { r: o.readQuorum }),
      };
      return run(target, { ...o, json: cmd.optsWithGlobals().json, curve: cmd.optsWithGlobals() });
    });
}
