import type { ConsulConfig } from "@zkv/membership";
import type { Violation } from "./checker.js";
import { type FaultTargets, runFault } from "./faults.js";
import {
  changeCommand,
  changeDone,
  clusterView,
  describeOutcome,
  runCommand,
  type Settler,
} from "./operator.js";
import { describeAction, type Step } from "./schedule.js";

/** An operation (membership change, set-replication, repair) is tried this many times (the scheduled run, then re-runs) before it counts as stuck. */
const ATTEMPTS = 3;

/** What a step acts on, beyond the faults' targets. */
export interface StepContext extends FaultTargets {
  readonly env: Record<string, string>;
  readonly consulConfig: ConsulConfig;
  readonly settler: Settler;
  /** SIGTERM to the launcher, wait for it to exit, start it again with the same flags (never throws). */
  restartLauncherGracefully(): Promise<void>;
  violation(v: Violation): void;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one step: its action and its faults at once; once the faults are healed, re-runs a
 * membership change the faults (or a killed CLI) kept from finishing, as an operator would;
 * then waits for the cluster to settle and checks it has the members the schedule expects.
 * Resolves to false when the schedule cannot go on (a violation was recorded).
 */
export async function runStep(step: Step, index: number, ctx: StepContext): Promise<boolean> {
  const label = `step ${index + 1} (${describeAction(step.action)})`;
  ctx.note(`${label} begins`);
  const faults = Promise.all(step.faults.map((f) => runFault(f, ctx)));
  let ok = true;
  try {
    ok = await runAction(step, label, ctx, faults);
  } finally {
    await faults; // every fault heals itself within its step, even when the action threw
  }
  if (!ok) return false;
  const stuck = await ctx.settler.settle();
  if (stuck !== undefined) {
    ctx.violation({ invariant: "settle", kind: "not settled", detail: `after ${label}: ${stuck}` });
    return false;
  }
  const { desired, replication } = await clusterView(ctx.consulConfig);
  if (replication.n !== step.replicas) {
    ctx.violation({
      invariant: "placement",
      kind: "replication diverged",
      detail: `after ${label}: n=${replication.n}, expected n=${step.replicas}`,
    });
    return false;
  }
  if (desired.join(" ") !== step.members.join(" ")) {
    ctx.violation({
      invariant: "placement",
      kind: "membership diverged",
      detail: `after ${label}: placement [${desired.join(" ")}], expected [${step.members.join(" ")}]`,
    });
    return false;
  }
  ctx.note(`${label} done, settled: [${desired.join(" ")}]`);
  return true;
}

async function runAction(step: Step, label: string, ctx: StepContext, faults: Promise<unknown>) {
  const action = step.action;
  if (action.kind === "idle") {
    await delay(action.ms);
    return true;
  }
  if (action.kind === "restart-launcher") {
    await ctx.restartLauncherGracefully(); // a launcher that does not come back is a violation already
    return ctx.launcher() !== undefined;
  }
  const args = changeCommand(action);
  const cli = "cli" in action ? action.cli : undefined;
  const quiet = step.faults.length === 0 && !cli;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const started = Date.now();
    const outcome = await runCommand(args, ctx.env, attempt === 1 ? cli : undefined);
    ctx.note(`${label} attempt ${attempt}: ${describeOutcome(outcome)} (${Date.now() - started} ms)`);
    if (attempt === 1) await faults; // re-runs begin once every fault is healed
    if (await changeDone(action, outcome, ctx.consulConfig).catch(() => false)) return true;
    if (quiet) {
      ctx.violation({
        invariant: "available",
        kind: "failed without a fault",
        detail: `${label}: zkv ${args.join(" ")}: ${describeOutcome(outcome)}`,
      });
      return false;
    }
    if (attempt === ATTEMPTS) {
      ctx.violation({
        invariant: "available",
        kind: "never finished",
        detail: `${label}: zkv ${args.join(" ")}, ${ATTEMPTS} runs, last: ${describeOutcome(outcome)}`,
      });
    }
  }
  return false;
}
