import type { ContainerFaults } from "../../compose/container-faults.js";
import type { Violation } from "../checker.js";
import type { Settler } from "../operator.js";
import { type ComposeStep, type ContainerFault, describeContainerFault } from "./schedule.js";

/** What a compose step acts on and reports to. */
export interface ComposeStepContext {
  readonly faults: ContainerFaults;
  readonly settler: Settler;
  note(line: string): void;
  violation(v: Violation): void;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One step: the clients run for its time while its faults land and heal (each resolves once
 * its node is healthy in Docker and passing in Consul again), then the cluster must settle.
 * Resolves to false when the schedule cannot go on (a violation was recorded).
 */
export async function runComposeStep(step: ComposeStep, index: number, ctx: ComposeStepContext) {
  const label = `step ${index + 1}`;
  ctx.note(`${label} begins: clients ${step.ms} ms, ${step.faults.length} container faults`);
  const healed = Promise.all(step.faults.map((f) => inject(f, ctx)));
  await delay(step.ms);
  if ((await healed).includes(false)) return false;
  const stuck = await ctx.settler.settle();
  if (stuck !== undefined) {
    ctx.violation({ invariant: "settle", kind: "not settled", detail: `after ${label}: ${stuck}` });
    return false;
  }
  ctx.note(`${label} done, settled`);
  return true;
}

/** Waits `afterMs`, does the fault, and waits for it to heal; false (a violation) if it did not. */
async function inject(fault: ContainerFault, ctx: ComposeStepContext): Promise<boolean> {
  await delay(fault.afterMs);
  const what = describeContainerFault(fault);
  ctx.note(`${what}: begins`);
  const started = Date.now();
  try {
    await ctx.faults[fault.kind](fault.node, fault.forMs);
    ctx.note(
      `${fault.kind} ${fault.node}: healed, healthy and passing ${Date.now() - started} ms after it began`,
    );
    return true;
  } catch (err) {
    const detail = `${what}: ${(err as Error).message}`;
    ctx.violation({ invariant: "available", kind: "did not recover", detail });
    return false;
  }
}
