import type { ChildProcess } from "node:child_process";
import { ClusterSettings, type ConsulConfig, listMembers } from "@zkv/membership";
import type { ZkvClient } from "../../src/index.js";
import { type CliOutcome, spawnCli } from "../support/cluster.js";
import type { Action, CliFault } from "./schedule.js";

/** A CLI run never takes longer than this; past it, it is killed and counts as failed. */
const CLI_LIMIT_MS = 150_000;
/** How long the cluster may take to settle after a step before it counts as stuck. */
const SETTLE_MS = 60_000;
/** Once it has not settled, whatever kept it from settling usually stays: later waits are shorter. */
const SETTLE_AGAIN_MS = 10_000;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CLI processes still running, so a schedule that ends early leaves none behind. */
const running = new Set<ChildProcess>();

/** SIGKILLs every CLI process still running (after a SIGCONT, in case one is stopped). */
export function killCommands(): void {
  for (const child of running) {
    child.kill("SIGCONT");
    child.kill("SIGKILL");
  }
}

/** Runs one zkv command, signalled mid-run as `fault` says; bounded by CLI_LIMIT_MS. */
export async function runCommand(
  args: readonly string[],
  env: Record<string, string>,
  fault?: CliFault,
): Promise<CliOutcome> {
  const failpoint: Record<string, string> =
    fault && "failpoint" in fault ? { ZKV_FAILPOINT: fault.failpoint } : {};
  const { child, outcome } = spawnCli(args, { ...env, ...failpoint });
  running.add(child);
  const send = (sig: NodeJS.Signals) =>
    child.exitCode === null && child.signalCode === null && child.kill(sig);
  const timers = [setTimeout(() => send("SIGKILL"), CLI_LIMIT_MS)];
  if (fault?.signal === "SIGKILL" && "afterMs" in fault) {
    timers.push(setTimeout(() => send("SIGKILL"), fault.afterMs));
  }
  if (fault?.signal === "SIGSTOP") {
    timers.push(setTimeout(() => send("SIGSTOP"), fault.afterMs));
    timers.push(setTimeout(() => send("SIGCONT"), fault.afterMs + fault.forMs));
  }
  try {
    return await outcome;
  } finally {
    for (const t of timers) clearTimeout(t);
    running.delete(child);
  }
}

/** An operation that runs a zkv command; the same command is also the one that resumes it. */
export type Operation = Extract<Action, { kind: "add" | "remove" | "set-replication" | "repair" }>;

/** The command line of an operation. */
export function changeCommand(op: Operation): string[] {
  switch (op.kind) {
    case "add":
      return ["add-node", "--id", op.node, "--wait", "60", "--json"];
    case "remove":
      return ["remove-node", op.node, "--wait", "60", "--json"];
    case "set-replication":
      return ["set-replication", String(op.n), "--wait", "60", "--json"];
    case "repair":
      return ["repair", "--json"];
  }
}

/**
 * True when the operation is done: exit 0, or a re-run refused (exit 4) because a killed run had
 * already finished it (the placement names the node, or no longer does, with no transition; the
 * replication setting is the one asked for, with no change recorded).
 */
export async function changeDone(op: Operation, outcome: CliOutcome, consul: ConsulConfig): Promise<boolean> {
  if (outcome.code === 0) return true;
  if (outcome.code !== 4 || op.kind === "repair") return false;
  const settings = new ClusterSettings(consul);
  if (op.kind === "set-replication") {
    const { record } = await settings.replicationRecord();
    return record.n === op.n && !record.change && record.completed?.finished !== false;
  }
  const { record } = await settings.placementRecord();
  if (!record || record.transition) return false;
  return record.members.some((m) => m.id === op.node) === (op.kind === "add");
}

/** One line for the timeline: how a CLI run ended. */
export function describeOutcome(outcome: CliOutcome): string {
  const how = outcome.signal ? `killed by ${outcome.signal}` : `exit ${outcome.code}`;
  const said = (outcome.code === 0 ? outcome.stdout : outcome.stderr)
    .trim()
    .split("\n")
    .slice(-2)
    .join(" | ");
  return `${how}${said ? `: ${said.slice(0, 300)}` : ""}`;
}

/**
 * What the cluster looks like: its placement record, its replication record, and who is
 * registered, how healthy.
 */
export async function clusterView(consul: ConsulConfig) {
  const settings = new ClusterSettings(consul);
  const [{ record }, { record: replication }, members] = await Promise.all([
    settings.placementRecord(),
    settings.replicationRecord(),
    listMembers(consul),
  ]);
  const desired = (record?.members ?? []).map((m) => m.id);
  const live = members.map((m) => `${m.id}:${m.health}`);
  const settled =
    record !== undefined &&
    !record.transition &&
    !replication.change &&
    members.length === desired.length &&
    members.every((m) => m.health === "passing" && desired.includes(m.id));
  return { record, replication, desired, live, settled };
}

/**
 * Waits until the cluster is settled: no rebalance or change of the replication factor recorded, exactly the placement's members
 * registered and passing, and each answering PING through `probe` (Consul's health lags a
 * SIGKILLed node by its TTL). Resolves to undefined when it is, else to what was last seen.
 * Once a wait has failed, later ones last SETTLE_AGAIN_MS.
 */
export class Settler {
  #failed = false;

  constructor(
    private readonly consul: ConsulConfig,
    private readonly probe: ZkvClient,
  ) {}

  async settle(): Promise<string | undefined> {
    const deadline = Date.now() + (this.#failed ? SETTLE_AGAIN_MS : SETTLE_MS);
    let last = "nothing read";
    while (Date.now() < deadline) {
      try {
        const view = await clusterView(this.consul);
        const t = view.record?.transition;
        const c = view.replication.change;
        last =
          `placement [${view.desired.join(" ")}]${t ? ` with ${t.kind} ${t.node} unfinished` : ""}, ` +
          `n=${view.replication.n}${c ? ` with set-replication ${c.next.n} unfinished` : ""}, registered [${view.live.join(" ")}]`;
        if (view.settled) {
          const pings = await Promise.all(view.desired.map((id) => this.probe.ping(id).catch(() => false)));
          const silent = view.desired.filter((_, i) => !pings[i]);
          if (silent.length === 0) return undefined;
          last += `, no PING answer from [${silent.join(" ")}]`;
        }
      } catch (err) {
        last = (err as Error).message;
      }
      await delay(250);
    }
    this.#failed = true;
    return last;
  }
}
