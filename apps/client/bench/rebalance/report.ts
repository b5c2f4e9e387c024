import type { HashingMode } from "@zkv/membership";
import type { RebalanceResult } from "../../src/rebalance/rebalance.js";
import { fmt, printTable } from "./format.js";
import { OPTIMUM } from "./keys.js";
import type { Phases } from "./phases.js";
import { SPOT_CHECKS } from "./workload.js";

const GOAL_RATE = 100_000;
const GOAL_RATIO = 1.05;

/** What one hashing mode's run measured and checked. */
export interface RunResult {
  keys: number;
  hashing: HashingMode;
  loadSeconds: number;
  result: RebalanceResult;
  minimal: number;
  phases: Phases;
  verified: number;
  countsOk: boolean;
}

/** Prints the runs as Markdown tables, then each run against the goals. */
export function report(runs: readonly RunResult[]): void {
  console.log(`\n## add-node: 4 → 5 nodes (optimum moved fraction 1/5 = ${OPTIMUM})\n`);
  printTable(
    [
      "keys",
      "hashing",
      "moved",
      "moved fraction",
      "vs optimum",
      "vs minimal",
      "total s",
      "keys/s (total)",
      "move phase s",
      "keys/s (move phase)",
    ],
    runs.map((r) => {
      const moved = r.result.moved;
      return [
        fmt(r.keys),
        r.hashing,
        fmt(moved),
        (moved / r.keys).toFixed(4),
        `${(moved / r.keys / OPTIMUM).toFixed(3)}x`,
        `${(moved / r.minimal).toFixed(3)}x`,
        r.result.seconds.toFixed(2),
        fmt(moved / r.result.seconds),
        r.phases.move.toFixed(2),
        r.phases.move > 0 ? fmt(moved / r.phases.move) : "-",
      ];
    }),
  );
  console.log(
    "\nvs minimal: moved / keys whose owner changes between the two placements (what any mover must move).",
  );
  console.log(
    '"move phase": first "moving" progress to the last one (the first batch\'s own time is not in it).',
  );

  console.log("\n## Where the time goes (seconds)\n");
  printTable(
    [
      "keys",
      "hashing",
      "lock+record",
      "node start",
      "scan",
      "plan+1st batch",
      "move",
      "sweep+finish",
      "total",
    ],
    runs.map((r) => [
      fmt(r.keys),
      r.hashing,
      r.phases.lock.toFixed(2),
      r.phases.nodeStart.toFixed(2),
      r.phases.scan.toFixed(2),
      r.phases.plan.toFixed(2),
      r.phases.move.toFixed(2),
      r.phases.sweepAndFinish.toFixed(2),
      r.result.seconds.toFixed(2),
    ]),
  );

  console.log("\n## Result of rebalance() and checks\n");
  printTable(
    ["keys", "hashing", "scanned", "planned", "moved", "swept", "load keys/s", "counts", "spot check"],
    runs.map((r) => [
      fmt(r.keys),
      r.hashing,
      fmt(r.result.scanned),
      fmt(r.result.planned),
      fmt(r.result.moved),
      fmt(r.result.swept),
      fmt(r.keys / r.loadSeconds),
      r.countsOk ? "ok" : "MISMATCH",
      `${r.verified}/${SPOT_CHECKS}`,
    ]),
  );

  console.log(`\ngoal: ≥ ${fmt(GOAL_RATE)} keys/s moved, moved fraction ≤ ${GOAL_RATIO}x optimum`);
  for (const r of runs) {
    const rate = r.result.moved / r.result.seconds;
    const ratio = r.result.moved / r.keys / OPTIMUM;
    console.log(
      `  ${r.hashing}: ${fmt(rate)} keys/s overall (${rate >= GOAL_RATE ? "meets" : "misses"} the goal), ` +
        `${ratio.toFixed(3)}x optimum (${ratio <= GOAL_RATIO ? "meets" : "misses"} the goal)`,
    );
  }
}
