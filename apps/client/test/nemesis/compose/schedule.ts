import { Prng } from "../prng.js";
import type { WorkloadShape } from "../schedule.js";

/**
 * The compose nemesis's schedules (`pnpm nemesis --compose`): docker-compose.yml's four node
 * containers under the same concurrent clients as the process nemesis, while their containers
 * are crashed, frozen and cut off the network. Pure: the same seed gives the same schedule.
 */

/** How the compose stack runs: what docker-compose.yml lets a deployment choose. */
export interface ComposeMode {
  /** Copies of each key (zkv/replication in Consul, majority quorums). */
  readonly replicas: 1 | 3;
  /** ZKV_HASHING. */
  readonly hashing: "ring" | "hrw";
  /** ZKV_FSYNC: every node keeps its data in its volume either way. */
  readonly fsync: "batch" | "always";
}

/** The nodes `up` starts (cluster_size 4): the schedule's faults act on them. */
export const COMPOSE_NODES = ["node-0", "node-1", "node-2", "node-3"] as const;

/**
 * A fault done to a node's container `afterMs` into its step, healed after `forMs`: `docker
 * kill` then `docker start` (a crash and a supervisor's restart), `docker pause`/`unpause` (the
 * cgroup freezer), `docker network disconnect`/`connect` (a partition from everything).
 */
export interface ContainerFault {
  readonly kind: "kill" | "pause" | "partition";
  readonly node: string;
  readonly afterMs: number;
  readonly forMs: number;
}

/** The clients run for `ms` while the step's faults (on distinct nodes) come and heal. */
export interface ComposeStep {
  readonly ms: number;
  readonly faults: readonly ContainerFault[];
}

export interface ComposeSchedule {
  readonly seed: number;
  readonly mode: ComposeMode;
  readonly steps: readonly ComposeStep[];
  readonly workload: WorkloadShape;
}

/** Bounds: a schedule has at most MAX_STEPS steps, a fault lasts at most FAULT_MAX_MS (then heals). */
const MAX_STEPS = 4;
const FAULT_MAX_MS = 6000;

/**
 * The schedule for `seed`: two to MAX_STEPS steps, up to two faults a step, on distinct nodes
 * (with n = 3, two nodes down at once leave some keys without a quorum for a while: unavailable,
 * never lost).
 */
export function generateComposeSchedule(seed: number): ComposeSchedule {
  const rng = new Prng(seed);
  const mode: ComposeMode = {
    replicas: rng.pick([1, 3] as const),
    hashing: rng.pick(["ring", "hrw"] as const),
    fsync: rng.pick(["batch", "always"] as const),
  };
  const list: ComposeStep[] = [];
  const count = rng.int(2, MAX_STEPS);
  for (let s = 0; s < count; s++) {
    const ms = rng.int(3000, 8000);
    const wanted = Number(rng.weighted({ 1: 3, 2: 1 }));
    const nodes = [...COMPOSE_NODES] as string[];
    const faults: ContainerFault[] = [];
    for (let f = 0; f < wanted; f++) {
      const node = nodes.splice(rng.int(0, nodes.length - 1), 1)[0]!;
      const kind = rng.pick(["kill", "pause", "partition"] as const);
      faults.push({
        kind,
        node,
        afterMs: rng.int(0, Math.floor(ms / 2)),
        forMs: rng.int(1000, FAULT_MAX_MS),
      });
    }
    list.push({ ms, faults });
  }
  return { seed, mode, steps: list, workload: { workers: 3, hotKeys: 8, counters: 3 } };
}

/** The mode in a line: `n=3, hrw, fsync always`. */
export function describeComposeMode(mode: ComposeMode): string {
  return `n=${mode.replicas}, ${mode.hashing}, fsync ${mode.fsync}`;
}

/** The schedule as a reader checks it: the mode, then one line a step. */
export function describeComposeSchedule(schedule: ComposeSchedule): string {
  const { workload } = schedule;
  const lines = [
    `seed ${schedule.seed} (compose): ${describeComposeMode(schedule.mode)}, ${COMPOSE_NODES.length} node containers, ` +
      `${workload.workers} clients (${workload.hotKeys} hot keys, ${workload.counters} CAS counters)`,
  ];
  schedule.steps.forEach((step, i) => {
    const faults = step.faults.map((f) => ` + ${describeContainerFault(f)}`).join("");
    lines.push(`  ${i + 1}. clients ${step.ms} ms${faults}`);
  });
  return lines.join("\n");
}

const HOW: Record<ContainerFault["kind"], string> = {
  kill: "docker kill",
  pause: "docker pause",
  partition: "docker network disconnect",
};

export function describeContainerFault(fault: ContainerFault): string {
  return `${HOW[fault.kind]} ${fault.node} at ${fault.afterMs} ms for ${fault.forMs} ms`;
}
