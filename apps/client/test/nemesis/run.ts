import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { ZkvClient } from "../../src/index.js";
import { startCluster, type TestCluster } from "../support/cluster.js";
import type { Violation } from "./checker.js";
import { finalCheck, stopClients } from "./final.js";
import { History, type HistorySummary } from "./history.js";
import { killCommands, Settler } from "./operator.js";
import { Prng } from "./prng.js";
import { RunRecord } from "./record.js";
import type { Schedule } from "./schedule.js";
import { runStep, type StepContext } from "./steps.js";
import { startClients } from "./workload.js";

/** What one schedule did and found. */
export interface ScheduleResult {
  readonly schedule: Schedule;
  readonly violations: readonly Violation[];
  /** Everything that happened, one line each, with seconds since the schedule began. */
  readonly timeline: readonly string[];
  readonly history: HistorySummary;
  /** Steps carried out, and faults injected with them (CLI signals included). */
  readonly operations: number;
  /** Client operations (writes, deletes, CAS increments). */
  readonly clientOps: number;
  /** Acknowledged writes and increments not found at the end. */
  readonly lost: number;
  readonly seconds: number;
  /** The tail of what the launchers printed. */
  readonly launcherOutput: string;
}

export interface RunOptions {
  /** Called with each timeline line as it happens (a long run shows progress). */
  readonly log?: (line: string) => void;
}

/** A launched node's Consul TTL: short, so a paused node turns critical within a fault. */
const NODE_TTL_SECONDS = 3;
/** Ports for node-0 onwards: the initial nodes and every one add-node may add. */
const PORTS = 16;

/**
 * Runs one schedule against a fresh Consul and cluster: the clients start, the steps run with
 * their faults, the clients stop, and the invariants are checked. Every process started is
 * stopped at the end, whatever happened; a harness failure is reported as a violation.
 */
export async function runSchedule(schedule: Schedule, options: RunOptions = {}): Promise<ScheduleResult> {
  const record = new RunRecord(options.log);
  const { note, violation } = record;
  const { mode } = schedule;
  const history = new History();
  const dataDir = mode.storage === "disk" ? mkdtempSync(join(tmpdir(), "zkv-nemesis-")) : undefined;
  const outputs: string[] = [];
  let consul: TestConsul | undefined;
  let cluster: TestCluster | undefined;
  let clients: Awaited<ReturnType<typeof startClients>> | undefined;
  let probe: ZkvClient | undefined;
  let operations = 0;
  try {
    consul = await startTestConsul();
    const agent = consul;
    const basePort = await freePortRange(PORTS);
    const flags = ["--ttl", String(NODE_TTL_SECONDS), "--hashing", mode.hashing];
    if (mode.replicas > 1) flags.push("--replicas", String(mode.replicas));
    if (dataDir) flags.push("--data-dir", dataDir, "--fsync", mode.fsync);
    if (dataDir && mode.snapshotEvery !== undefined)
      flags.push("--snapshot-every", String(mode.snapshotEvery));
    cluster = await startCluster(agent.env, [...flags, "--cluster-size", String(mode.initialSize)], {
      basePort,
    });
    note(`cluster of ${mode.initialSize} ready on ports ${basePort}+ (flags: ${flags.join(" ")})`);
    // The same flags as the first start but --cluster-size, as an operator restarts it.
    const startAgain = async () => {
      try {
        cluster = await startCluster(agent.env, flags, { basePort });
        note("launcher started again, ready");
      } catch (err) {
        violation({
          invariant: "available",
          kind: "launcher did not come back",
          detail: (err as Error).message,
        });
      }
    };
    const retire = async (c: TestCluster, signal: NodeJS.Signals) => {
      cluster = undefined;
      const stopping = c.stop(signal);
      const timer = setTimeout(() => void c.stop("SIGKILL"), 40_000);
      const code = await stopping;
      clearTimeout(timer);
      outputs.push(c.output());
      return code;
    };
    probe = await ZkvClient.connect({ consul: agent.config, timeoutMs: 1000 });
    const settler = new Settler(agent.config, probe);
    const ctx: StepContext = {
      settler,
      consul: agent,
      env: agent.env,
      consulConfig: agent.config,
      launcher: () => cluster,
      restartLauncher: startAgain,
      async restartLauncherGracefully() {
        if (cluster) note(`launcher stopped by SIGTERM: exit ${await retire(cluster, "SIGTERM")}`);
        await startAgain();
      },
      retire: (c) => retire(c, "SIGKILL").then(() => undefined),
      note,
      violation,
    };
    clients = await startClients(
      { consul: agent.config },
      schedule.workload,
      new Prng(schedule.seed).fork("clients"),
      history,
    );
    for (const [i, step] of schedule.steps.entries()) {
      const carriedOn = await runStep(step, i, ctx);
      operations += 1 + step.faults.length + ("cli" in step.action && step.action.cli ? 1 : 0);
      if (!carriedOn) break;
    }
    await stopClients(clients, history, settler, record);
    const exactCopies = !(
      mode.storage === "memory" && schedule.steps.some((s) => s.faults.some((f) => f.kind === "kill-node"))
    );
    await finalCheck(history, {
      consul: agent.config,
      env: agent.env,
      settler,
      exactCopies,
      note,
      violation,
    });
  } catch (err) {
    record.harnessFailed(err);
  } finally {
    await clients?.stop().catch(() => {});
    await probe?.close();
    killCommands();
    if (cluster) {
      await cluster.stop("SIGKILL");
      outputs.push(cluster.output());
    }
    await consul?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  const clientOps = clients?.operations() ?? 0;
  return {
    schedule,
    ...record.outcome(history, {
      operations,
      clientOps,
      output: outputs.join("\n--- launcher restarted ---\n"),
    }),
  };
}
