import { consulConfigFromEnv } from "@zkv/membership";
import { type CurveFlags, positiveNumber } from "@zkv/protocol/cli";
import type { Command } from "commander";
import type { MembershipChange } from "../rebalance/plan.js";
import { planOnly, rebalance } from "../rebalance/rebalance.js";
import { curveFromFlags } from "./curve.js";
import { err, out, table } from "./output.js";
import { progressBar } from "./progress-bar.js";

interface RebalanceFlags {
  plan?: boolean;
  wait: number;
  /** add-node: seconds the new node has to start before the add is rolled back. */
  joinTimeout?: number;
  json?: boolean;
  /** The global CURVE flags. */
  curve: CurveFlags;
}

/** Runs add-node / remove-node with a progress bar (on a terminal) and a summary. */
async function run(change: MembershipChange, flags: RebalanceFlags): Promise<void> {
  const consul = consulConfigFromEnv();
  const curve = curveFromFlags(flags.curve);
  if (flags.plan) {
    const plan = await planOnly(consul, change, curve);
    if (flags.json) return out(JSON.stringify(plan));
    out(
      `${plan.kind} ${plan.node}: ${plan.moving} of ${plan.keys} keys would move (${((100 * plan.moving) / Math.max(1, plan.keys)).toFixed(1)}%)`,
    );
    return table(
      ["FROM", "TO", "KEYS"],
      plan.transfers.map((t) => [t.from, t.to, String(t.keys)]),
    );
  }
  const bar = progressBar("{phase}", flags.json, "{speed} keys/s | ETA {eta_formatted}");
  let barStarted = false;
  const started = Date.now();
  const result = await rebalance({
    consul,
    change,
    ...(curve ? { curve } : {}),
    lockWaitMs: flags.wait * 1000,
    ...(flags.joinTimeout ? { joinTimeoutMs: flags.joinTimeout * 1000 } : {}),
    onWait: (message) => err(message),
    onProgress: (p) => {
      if (p.phase === "waiting-for-node")
        return err(`waiting for ${p.node} to register and pass its health check…`);
      if (p.phase !== "moving" || !bar) return;
      const speed = Math.round(p.done / Math.max(0.001, (Date.now() - started) / 1000));
      if (!barStarted) bar.start(p.total, 0, { phase: "moving", speed: 0 });
      barStarted = true;
      bar.update(p.done, { phase: "moving", speed });
    },
  });
  if (barStarted) bar?.stop();
  if (flags.json) return out(JSON.stringify(result));
  out(
    `${result.kind === "add" ? "added" : "removed"} ${result.node}${result.resumed ? " (resumed)" : ""}: moved ${result.moved} of ${result.scanned} keys ` +
      `in ${result.seconds.toFixed(1)} s (planned ${result.planned}${result.vanished ? `, ${result.vanished} of them deleted or expired before their move` : ""}, ` +
      `swept ${result.swept} written during the move); placement epoch ${result.epoch}`,
  );
  table(
    ["FROM", "TO", "KEYS"],
    result.transfers.map((t) => [t.from, t.to, String(t.keys)]),
  );
}

/** Registers `add-node` and `remove-node`; errors surface through the CLI's exit-code mapping. */
export function registerRebalanceCommands(program: Command): void {
  program
    .command("add-node")
    .description(
      "add a node: the launcher starts it (pushed through Consul) and its share of the data moves to it",
    )
    .option("--id <id>", "node id (default: the next node-<n>)")
    .option("--weight <w>", "hashing weight", positiveNumber("--weight"), 1)
    .option("--port <port>", "port (default: one past the highest in use)", positiveNumber("--port"))
    .option("--plan", "dry run: print how many keys would move where")
    .option("--wait <seconds>", "wait this long for another rebalance's lock", positiveNumber("--wait"), 0)
    .option(
      "--join-timeout <seconds>",
      "how long the new node has to start before the add is rolled back",
      positiveNumber("--join-timeout"),
      60,
    )
    .action((o: RebalanceFlags & { id?: string; weight: number; port?: number }, cmd: Command) =>
      run(
        { kind: "add", ...(o.id ? { id: o.id } : {}), weight: o.weight, ...(o.port ? { port: o.port } : {}) },
        { ...o, json: cmd.optsWithGlobals().json, curve: cmd.optsWithGlobals() },
      ),
    );
  program
    .command("remove-node <id>")
    .description("remove a node: its data moves to the nodes that own it next, then it deregisters and exits")
    .option("--plan", "dry run: print how many keys would move where")
    .option("--wait <seconds>", "wait this long for another rebalance's lock", positiveNumber("--wait"), 0)
    .action((id: string, o: RebalanceFlags, cmd: Command) =>
      run({ kind: "remove", id }, { ...o, json: cmd.optsWithGlobals().json, curve: cmd.optsWithGlobals() }),
    );
}
