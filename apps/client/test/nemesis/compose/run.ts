import { ZkvClient } from "../../../src/index.js";
import { containerFaults } from "../../compose/container-faults.js";
import type { CliOutcome } from "../../support/cluster.js";
import { type ClusterAccess, finalCheck, stopClients } from "../final.js";
import { History } from "../history.js";
import { Settler } from "../operator.js";
import { Prng } from "../prng.js";
import { RunRecord } from "../record.js";
import { type ReportStyle, reportFailure } from "../report.js";
import type { ScheduleResult } from "../run.js";
import { startClients } from "../workload.js";
import { type ComposeCluster, publishedNodes, startComposeCluster } from "./cluster.js";
import {
  COMPOSE_NODES,
  type ComposeSchedule,
  describeComposeMode,
  describeComposeSchedule,
} from "./schedule.js";
import { runComposeStep } from "./steps.js";

/** One compose schedule's result; `launcherOutput`: the stack's warnings and errors, on a failure. */
export type ComposeResult = Omit<ScheduleResult, "schedule"> & { readonly schedule: ComposeSchedule };

export interface ComposeRunOptions {
  /** Called with each timeline line as it happens. */
  readonly log?: (line: string) => void;
  /**
   * A stack that is up already (a test's), in the schedule's mode: the schedule runs there, the
   * stack's other keys are left alone, no closing add-node and remove-node is made (its owner
   * goes on changing its membership), and the stack is not removed. Default: a fresh stack, down
   * -v at the end.
   */
  readonly cluster?: ComposeCluster;
}

/**
 * Runs one compose schedule: the same clients as the process nemesis, on this host, reaching
 * the node containers through their published loopback ports; the steps' container faults;
 * then the same final check (reads, counters, placement; with a fresh stack also add-node and
 * remove-node of node-4, run in client containers on the compose network). Everything started
 * is stopped at the end, whatever happened; a harness failure is reported as a violation.
 */
export async function runComposeSchedule(
  schedule: ComposeSchedule,
  options: ComposeRunOptions = {},
): Promise<ComposeResult> {
  const record = new RunRecord(options.log);
  const { note, violation } = record;
  const history = new History();
  const shared = options.cluster;
  let cluster = shared;
  let clients: Awaited<ReturnType<typeof startClients>> | undefined;
  let probe: ZkvClient | undefined;
  let operations = 0;
  let logs = "";
  try {
    if (shared && describeComposeMode(shared.mode) !== describeComposeMode(schedule.mode))
      throw new Error(
        `seed ${schedule.seed} needs ${describeComposeMode(schedule.mode)}, the stack runs ${describeComposeMode(shared.mode)}`,
      );
    cluster ??= await startComposeCluster(schedule.mode);
    note(
      `stack ${cluster.stack.project} up: ${describeComposeMode(cluster.mode)}, nodes on 127.0.0.1:${cluster.basePort}+`,
    );
    // Five: node-4 answers the settle checks' PING while the final add-node has it in.
    probe = await ZkvClient.connect({
      ...publishedNodes(cluster, COMPOSE_NODES.length + 1),
      timeoutMs: 1000,
    });
    const settler = new Settler(cluster.consul, probe);
    const faults = containerFaults(cluster.stack);
    clients = await startClients(
      publishedNodes(cluster),
      schedule.workload,
      new Prng(schedule.seed).fork("clients"),
      history,
    );
    for (const [i, step] of schedule.steps.entries()) {
      const carriedOn = await runComposeStep(step, i, { faults, settler, note, violation });
      operations += 1 + step.faults.length;
      if (!carriedOn) break;
    }
    await stopClients(clients, history, settler, record);
    await finalCheck(history, {
      consul: cluster.consul,
      env: {},
      settler,
      // Every node keeps its data in its volume, and a container crash keeps the page cache.
      exactCopies: true,
      access: composeAccess(cluster, shared ? history : undefined),
      changeMembership: !shared,
      note,
      violation,
    });
  } catch (err) {
    record.harnessFailed(err);
  } finally {
    await clients?.stop().catch(() => {});
    await probe?.close();
    if (cluster && record.violations.length > 0) logs = await warnings(cluster).catch(() => "");
    if (cluster && !shared) await cluster.stack.destroy();
  }
  const clientOps = clients?.operations() ?? 0;
  return { schedule, ...record.outcome(history, { operations, clientOps, output: logs }) };
}

/**
 * What the stack's services said that a failure report needs: every warning and error (pino
 * levels 40 and up) and every line that is not a node's JSON log, the last 150 of them.
 */
async function warnings(cluster: ComposeCluster): Promise<string> {
  const all = await cluster.stack.compose(["--profile", "node-4", "logs", "--no-color"]);
  const kept = all.stdout
    .split("\n")
    .filter((line) => line.trim() && (!line.includes('{"level":') || /"level":[4-6]0/.test(line)));
  return kept.slice(-150).join("\n");
}

/** A failed compose schedule's report, with its replay command. */
export function composeFailureReport(r: ComposeResult): string {
  const style: ReportStyle = {
    replay: "pnpm nemesis --compose",
    description: describeComposeSchedule(r.schedule),
    output: "compose logs (warnings, errors and plain lines; the last 150):",
  };
  return reportFailure(r, style);
}

/**
 * The final check's way in: readers through the published ports, the four nodes scanned, the
 * CLI in a client container. With `known` (a shared stack), keys the history never wrote are
 * someone else's and not checked.
 */
function composeAccess(cluster: ComposeCluster, known?: History): ClusterAccess {
  const ours = known && new Set([...known.keys, ...known.counters.keys()]);
  return {
    connect: () => ZkvClient.connect({ ...publishedNodes(cluster), timeoutMs: 5000 }),
    members: () => COMPOSE_NODES,
    async cli(args): Promise<CliOutcome> {
      const run = await cluster.stack.zkv(args.join(" "));
      return { code: run.status, signal: null, stdout: run.stdout, stderr: run.stderr };
    },
    ...(ours ? { foreign: (key: string) => !ours.has(key) } : {}),
  };
}
