import { ClusterSettings } from "@zkv/membership";
import { eventually } from "@zkv/membership/testing";
import { type CliOutcome, spawnCli } from "./cluster.js";
import type { NetnsCluster } from "./netns-cluster.js";
import { type NetnsNode, spawnNetnsNode } from "./netns-nodes.js";
import type { MembershipChange } from "./partition-draws.js";

/** Longest a single CLI run may take before it is SIGKILLed (and run again). */
const CLI_LIMIT_MS = 120_000;
const ATTEMPTS = 3;

/** A running membership change: `done` settles once the CLI exited 0, or rejects after its last attempt. */
export interface RunningChange {
  /** Every run's exit, in order: `0`, `1: <last stderr line>`, `SIGKILL`. */
  readonly exits: string[];
  readonly done: Promise<void>;
}

/**
 * Runs `zkv add-node --id <node>` or `zkv remove-node <node>` as an operator would through a
 * partition: when a run fails, it runs the same command again (each run SIGKILLed after 120 s),
 * up to 3 runs. For an add, the node process is started in its host once the CLI has recorded the
 * join (a node Consul's placement does not name, started earlier, would take itself as removed),
 * and again whenever a failed run left it exited. For a remove, `done` also waits for the removed
 * node to exit on its own.
 */
export function runMembershipChange(
  fx: NetnsCluster,
  change: MembershipChange,
  port: number,
  nodeArgs: readonly string[],
): RunningChange {
  const exits: string[] = [];
  const settings = new ClusterSettings(fx.consul.config);
  const node = () => fx.nodes.findLast((n) => n.id === change.node);
  const running = (n: NetnsNode | undefined) =>
    n !== undefined && n.child.exitCode === null && n.child.signalCode === null;

  async function startNodeOnceJoining(cli: Promise<CliOutcome>): Promise<void> {
    let exited = false;
    void cli.finally(() => (exited = true));
    const joining = async () => (await settings.placementRecord()).record?.transition?.node === change.node;
    await eventually(async () => exited || (await joining()), 60_000, 100);
    if (!exited && !running(node()))
      fx.nodes.push(
        spawnNetnsNode(fx.lab, fx.lab.hosts[change.host]!, change.node, fx.consul, port, nodeArgs),
      );
  }

  async function attempt(i: number): Promise<CliOutcome> {
    const args = change.kind === "add" ? ["add-node", "--id", change.node] : ["remove-node", change.node];
    // A re-run waits for a killed run's lock instead of refusing at once.
    const { child, outcome } = spawnCli(i === 0 ? args : [...args, "--wait", "30"], fx.consul.env);
    const timer = setTimeout(() => child.kill("SIGKILL"), CLI_LIMIT_MS);
    if (change.kind === "add") await startNodeOnceJoining(outcome);
    return outcome.finally(() => clearTimeout(timer));
  }

  const done = (async () => {
    for (let i = 0; i < ATTEMPTS; i++) {
      const outcome = await attempt(i);
      const why = outcome.stderr.trim().split("\n").pop() ?? "";
      exits.push(outcome.code === 0 ? "0" : `${outcome.code ?? outcome.signal}: ${why}`);
      if (outcome.code !== 0) continue;
      if (change.kind === "remove") {
        const removed = node();
        await eventually(() => !running(removed), 30_000).catch(() => {
          throw new Error(`${change.node} was removed but still runs 30 s later`);
        });
      }
      return;
    }
    throw new Error(
      `${change.kind}-node ${change.node} did not finish in ${ATTEMPTS} runs: ${exits.join(" | ")}`,
    );
  })();
  done.catch(() => {});
  return { exits, done };
}
