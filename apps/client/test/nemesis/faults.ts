import { execFileSync } from "node:child_process";
import type { TestConsul } from "@zkv/membership/testing";
import type { TestCluster } from "../support/cluster.js";
import { describeFault, type Fault } from "./schedule.js";

/** What a fault acts on; the launcher changes when it is restarted. */
export interface FaultTargets {
  readonly consul: TestConsul;
  launcher(): TestCluster | undefined;
  /** SIGKILLs a launcher and its whole process group (a host crash) and forgets it. */
  retire(launcher: TestCluster): Promise<void>;
  /** Starts the launcher again with the same flags (no --cluster-size), after a crash. */
  restartLauncher(): Promise<void>;
  /** One line of the schedule's timeline. */
  note(line: string): void;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Pid of the process serving `nodeId`, found in the launcher's process group (every node the
 * launcher starts is in it); undefined when none runs (removed, or between a crash and its restart).
 */
export function nodePid(launcher: TestCluster, nodeId: string): number | undefined {
  try {
    const out = execFileSync(
      "pgrep",
      ["-g", String(launcher.child.pid), "-f", "--", `--node-id ${nodeId} `],
      {
        encoding: "utf8",
      },
    );
    const pid = Number(out.trim().split("\n")[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined; // pgrep exits 1 when nothing matches
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits `fault.afterMs`, injects the fault, and heals it: SIGCONT after a pause, the launcher
 * started again after it was SIGKILLed with its nodes; a SIGKILLed node is restarted by its
 * launcher. Resolves once healed (every fault is bounded by its schedule's durations), and heals
 * even if injecting threw.
 */
export async function runFault(fault: Fault, targets: FaultTargets): Promise<void> {
  await delay(fault.afterMs);
  const what = describeFault(fault);
  switch (fault.kind) {
    case "kill-node":
    case "pause-node": {
      const launcher = targets.launcher();
      const pid = launcher && nodePid(launcher, fault.node);
      if (!pid) return targets.note(`${what}: skipped, ${fault.node} is not running`);
      if (fault.kind === "kill-node") {
        signal(pid, "SIGKILL");
        return targets.note(`${what}: pid ${pid} killed`);
      }
      signal(pid, "SIGSTOP");
      targets.note(`${what}: pid ${pid} stopped`);
      await delay(fault.forMs);
      signal(pid, "SIGCONT");
      return targets.note(`${fault.kind} ${fault.node}: pid ${pid} continued`);
    }
    case "pause-launcher": {
      const pid = targets.launcher()?.child.pid;
      if (!signal(pid, "SIGSTOP")) return targets.note(`${what}: skipped, no launcher`);
      targets.note(`${what}: launcher pid ${pid} stopped`);
      await delay(fault.forMs);
      signal(pid, "SIGCONT");
      return targets.note(`pause-launcher: pid ${pid} continued`);
    }
    case "pause-consul": {
      targets.consul.pause();
      targets.note(`${what}: Consul stopped`);
      try {
        await delay(fault.forMs);
      } finally {
        targets.consul.resume();
      }
      return targets.note("pause-consul: Consul continued");
    }
    case "kill-launcher": {
      const launcher = targets.launcher();
      if (!launcher) return targets.note(`${what}: skipped, no launcher`);
      signal(-launcher.child.pid!, "SIGKILL"); // the whole group at once: a host crash
      await targets.retire(launcher);
      targets.note(`${what}: launcher and its nodes killed`);
      await delay(fault.downMs);
      await targets.restartLauncher();
      return targets.note("kill-launcher: launcher started again");
    }
  }
}
