import type { Prng } from "./prng.js";
import type { Action, CliFault, Fault, Step } from "./schedule.js";

// The schedule generator's draws (schedule.ts): one action, one fault, a signal for a CLI run, and
// the extra operations after a step, each from the Prng stream it is given.

/** The id `zkv add-node` picks by default: one past the highest `node-<n>` in use. */
export function nextNodeId(members: readonly string[]): string {
  return `node-${Math.max(-1, ...members.map((m) => Number(m.slice("node-".length)))) + 1}`;
}

/**
 * The operations drawn from their own stream (`extra`), after a step, so that adding them left
 * every schedule's other steps as they were: sometimes a change of the replication factor and
 * back (`zkv set-replication`, each run maybe killed or stopped mid-way and re-run, so the
 * schedule's n holds between steps), sometimes an anti-entropy pass (`zkv repair`). Their faults
 * are pauses only: a SIGKILL here would change what the other steps may do.
 */
export function operations(extra: Prng, members: readonly string[], replicas: number): Step[] {
  const pauses = (window: number): Fault[] =>
    extra.chance(0.5)
      ? [
          drawFault(
            extra,
            extra.pick(["pause-node", "pause-consul", "pause-launcher"] as const),
            members,
            window,
          ),
        ]
      : [];
  const targets = [1, 2, 3].filter((n) => n !== replicas && n <= members.length);
  if (targets.length > 0 && extra.chance(0.3)) {
    const n = extra.pick(targets);
    return [n, replicas].map((to) => ({
      action: { kind: "set-replication" as const, n: to, ...cliFault(extra, REPLICATION_FAILPOINTS, 1) },
      faults: pauses(4000),
      members,
      replicas: to,
    }));
  }
  if (replicas > 1 && extra.chance(0.2))
    return [{ action: { kind: "repair" }, faults: pauses(2000), members, replicas }];
  return [];
}

/** Where set-replication can be SIGKILLed (see ZKV_FAILPOINT): copied, about to commit, committed. */
const REPLICATION_FAILPOINTS = [
  "after-replication-copy",
  "before-replication-commit",
  "after-replication-commit",
];

/** An operator action of `kind`: the node added or removed, a CLI fault maybe, or an idle time. */
export function drawAction(
  rng: Prng,
  kind: "add" | "remove" | "restart-launcher" | "idle",
  members: readonly string[],
): Action {
  if (kind === "idle") return { kind, ms: rng.int(1000, 4000) };
  if (kind === "restart-launcher") return { kind };
  const node = kind === "add" ? nextNodeId(members) : rng.pick(members);
  return { kind, node, ...cliFault(rng, ["after-import", "after-commit"], 3) };
}

/**
 * With probability 0.4, a signal for the CLI run: at a time, at one of `failpoints` (its first
 * to `most`th passage), or a stop.
 */
function cliFault(rng: Prng, failpoints: readonly string[], most: number): { cli?: CliFault } {
  if (!rng.chance(0.4)) return {};
  const afterMs = rng.int(500, 4000);
  const how = rng.weighted({ time: 2, failpoint: 2, pause: 1 });
  const cli: CliFault =
    how === "time"
      ? { signal: "SIGKILL", afterMs }
      : how === "failpoint"
        ? { signal: "SIGKILL", failpoint: `${rng.pick(failpoints)}:${rng.int(1, most)}` }
        : { signal: "SIGSTOP", afterMs, forMs: rng.int(500, 4000) };
  return { cli };
}

/** A fault of `kind`, landing within `window` ms of the step's start. */
export function drawFault(rng: Prng, kind: Fault["kind"], members: readonly string[], window: number): Fault {
  const afterMs = rng.int(0, window);
  switch (kind) {
    case "kill-node":
      return { kind, node: rng.pick(members), afterMs };
    case "pause-node":
      return { kind, node: rng.pick(members), afterMs, forMs: rng.int(500, 4000) };
    case "kill-launcher":
      return { kind, afterMs, downMs: rng.int(200, 3000) };
    case "pause-launcher":
    case "pause-consul":
      return { kind, afterMs, forMs: rng.int(500, 5000) };
  }
}
