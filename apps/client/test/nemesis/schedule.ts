import { Prng } from "./prng.js";
import { drawAction, drawFault, operations } from "./schedule-draws.js";

/** How the cluster under test runs: replication, hashing, storage, and its first size. */
export interface Mode {
  readonly replicas: 1 | 3;
  readonly hashing: "ring" | "hrw";
  /** "disk" is `--data-dir <tmp> --fsync <fsync>`; "memory" loses a node's data when it restarts. */
  readonly storage: "memory" | "disk";
  /**
   * With a data dir: `always` replies after the fsync, `batch` once the write-ahead log has it in
   * the OS. Neither may lose an acknowledged write to a process crash, which is all the nemesis makes.
   */
  readonly fsync: "always" | "batch";
  /**
   * With a data dir, half the time: `--snapshot-every` this many bytes, so snapshots start at
   * nearly every flush and restarts load them (at the default 64 MB a schedule never takes one).
   */
  readonly snapshotEvery?: number;
  readonly initialSize: number;
}

/**
 * A signal sent to the zkv CLI while it runs add-node, remove-node or set-replication: at a time, or (SIGKILL) at
 * a named failpoint of the mover (`after-import:3`: the third import acknowledged, its commit not
 * sent; see ZKV_FAILPOINT), which lands mid-move whatever the timing. The failpoints are in the
 * one-copy mover: with n = 3 the run is not killed.
 */
export type CliFault =
  | { readonly signal: "SIGKILL"; readonly afterMs: number }
  | { readonly signal: "SIGKILL"; readonly failpoint: string }
  | { readonly signal: "SIGSTOP"; readonly afterMs: number; readonly forMs: number };

/** What an operator does in one step. */
export type Action =
  | { readonly kind: "add"; readonly node: string; readonly cli?: CliFault }
  | { readonly kind: "remove"; readonly node: string; readonly cli?: CliFault }
  | { readonly kind: "set-replication"; readonly n: number; readonly cli?: CliFault }
  | { readonly kind: "repair" }
  | { readonly kind: "restart-launcher" }
  | { readonly kind: "idle"; readonly ms: number };

/** What goes wrong meanwhile, `afterMs` after the step starts; every fault is healed within its step. */
export type Fault =
  | { readonly kind: "kill-node"; readonly node: string; readonly afterMs: number }
  | { readonly kind: "pause-node"; readonly node: string; readonly afterMs: number; readonly forMs: number }
  | { readonly kind: "kill-launcher"; readonly afterMs: number; readonly downMs: number }
  | { readonly kind: "pause-launcher"; readonly afterMs: number; readonly forMs: number }
  | { readonly kind: "pause-consul"; readonly afterMs: number; readonly forMs: number };

export interface Step {
  readonly action: Action;
  readonly faults: readonly Fault[];
  /** The placement's members once the step is done, as the generator modelled them. */
  readonly members: readonly string[];
  /** The replication factor once the step is done. */
  readonly replicas: number;
}

/** The concurrent clients: how many, and how many hot keys and CAS counters they share. */
export interface WorkloadShape {
  readonly workers: number;
  readonly hotKeys: number;
  readonly counters: number;
}

export interface Schedule {
  readonly seed: number;
  readonly mode: Mode;
  readonly steps: readonly Step[];
  readonly workload: WorkloadShape;
}

/** Two cores run the whole cluster: more node processes than this starve everything. */
export const MAX_MEMBERS = 5;

/**
 * The whole schedule for `seed`, a pure function of it, so `--seed` replays it exactly. A model
 * of the membership keeps every step legal: remove-node never goes below max(n, 1) members, a
 * launcher is stopped (SIGTERM, or SIGKILL with its nodes) only with a data dir (in memory a
 * restart loses the data by design), and in memory with n = 3 at most one node is ever
 * SIGKILLed (two crashed replicas of a key would lose it, which n = 3 does not promise to survive).
 */
/** Mixed into the seed for the fsync policy's own stream. */
const FSYNC_STREAM = 0x5f5f;
/** Mixed into the seed for the snapshot size's own stream. */
const SNAPSHOT_STREAM = 0x5a5a;
/** A small `--snapshot-every`: a snapshot every few flushes of a schedule's writes. */
const SMALL_SNAPSHOTS = 4096;

export function generateSchedule(seed: number): Schedule {
  const rng = new Prng(seed);
  const extra = rng.fork("operations");
  const replicas = rng.pick([1, 3] as const);
  const mode: Mode = {
    replicas,
    hashing: rng.pick(["ring", "hrw"] as const),
    storage: rng.pick(["memory", "disk"] as const),
    initialSize: replicas === 1 ? rng.int(2, 3) : rng.int(3, 4),
    // A stream of its own, so that adding this choice left every earlier seed's schedule as it was.
    fsync: new Prng((seed ^ FSYNC_STREAM) >>> 0).pick(["always", "batch"] as const),
    ...(new Prng((seed ^ SNAPSHOT_STREAM) >>> 0).pick([true, false])
      ? { snapshotEvery: SMALL_SNAPSHOTS }
      : {}),
  };
  const disk = mode.storage === "disk";
  let members = Array.from({ length: mode.initialSize }, (_, i) => `node-${i}`);
  let memoryKills = 0;
  const steps: Step[] = [];
  const count = rng.int(3, 6);
  for (let s = 0; s < count; s++) {
    const kind = rng.weighted({
      add: members.length < MAX_MEMBERS ? 3 : 0,
      remove: members.length - 1 >= Math.max(mode.replicas, 1) ? 3 : 0,
      "restart-launcher": disk ? 1.5 : 0,
      idle: 1,
    });
    const action = drawAction(rng, kind, members);
    // A CLI run takes ~1.5 s to start and a few more to move: faults land in that window.
    const window = action.kind === "idle" ? action.ms : 4000;
    const faults: Fault[] = [];
    const wanted = rng.weighted({ 0: 2, 1: 3, 2: 1 });
    for (let f = 0; f < Number(wanted); f++) {
      const kinds = {
        "pause-node": 2,
        "pause-launcher": 1,
        "pause-consul": 2,
        "kill-node": disk || (mode.replicas === 3 && memoryKills === 0) ? 2 : 0,
        "kill-launcher": disk ? 1 : 0,
      };
      for (const taken of faults) kinds[taken.kind] = 0;
      // The action restarts the launcher itself: a crash or pause of it on top would race that.
      if (action.kind === "restart-launcher") kinds["kill-launcher"] = kinds["pause-launcher"] = 0;
      const fault = drawFault(rng, rng.weighted(kinds), members, window);
      if (fault.kind === "kill-node" && !disk) memoryKills++;
      faults.push(fault);
    }
    if (action.kind === "add") members = [...members, action.node];
    if (action.kind === "remove") members = members.filter((m) => m !== action.node);
    steps.push({ action, faults, members, replicas: mode.replicas });
    steps.push(...operations(extra, members, mode.replicas));
  }
  return { seed, mode, steps, workload: { workers: 3, hotKeys: 8, counters: 3 } };
}

/** The schedule as a reader checks it: the mode, then one line a step. */
export function describeSchedule(schedule: Schedule): string {
  const { mode, workload } = schedule;
  const snapshots = mode.snapshotEvery === undefined ? "" : ` --snapshot-every ${mode.snapshotEvery}`;
  const storage = mode.storage === "disk" ? `--data-dir --fsync ${mode.fsync}${snapshots}` : "in memory";
  const lines = [
    `seed ${schedule.seed}: n=${mode.replicas}, ${mode.hashing}, ${storage}, ${mode.initialSize} nodes, ` +
      `${workload.workers} clients (${workload.hotKeys} hot keys, ${workload.counters} CAS counters)`,
  ];
  schedule.steps.forEach((step, i) => {
    const faults = step.faults.map((f) => ` + ${describeFault(f)}`).join("");
    lines.push(
      `  ${i + 1}. ${describeAction(step.action)}${faults} -> [${step.members.join(" ")}] n=${step.replicas}`,
    );
  });
  return lines.join("\n");
}

export function describeAction(action: Action): string {
  switch (action.kind) {
    case "idle":
      return `idle ${action.ms} ms`;
    case "restart-launcher":
      return "launcher SIGTERM, start again";
    case "repair":
      return "repair";
    default: {
      const cli = action.cli;
      const fault = !cli
        ? ""
        : "failpoint" in cli
          ? ` (CLI SIGKILL at failpoint ${cli.failpoint}, re-run)`
          : cli.signal === "SIGKILL"
            ? ` (CLI SIGKILL at ${cli.afterMs} ms, re-run)`
            : ` (CLI SIGSTOP at ${cli.afterMs} ms for ${cli.forMs} ms)`;
      return action.kind === "set-replication"
        ? `set-replication ${action.n}${fault}`
        : `${action.kind}-node ${action.node}${fault}`;
    }
  }
}

export function describeFault(fault: Fault): string {
  const target = "node" in fault ? ` ${fault.node}` : "";
  const length =
    "forMs" in fault ? ` for ${fault.forMs} ms` : "downMs" in fault ? `, down ${fault.downMs} ms` : "";
  return `${fault.kind}${target} at ${fault.afterMs} ms${length}`;
}
