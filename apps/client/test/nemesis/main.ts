/**
 * The nemesis runner: `pnpm nemesis [--compose] [--seed S[,S2…]] [--schedules K] [--minutes N] [--quiet]`.
 * `--seed S` replays schedule S (`--seed 70,195` those seeds); `--schedules K` runs K schedules
 * (S, S+1, … or random seeds); `--minutes N` runs new seeds until N minutes are up. Each seed is
 * printed with its schedule before it runs. `--compose` runs the compose schedules instead
 * (docker-compose.yml's containers, container faults; see compose/): exit 69 when no Docker
 * engine can be had here. Exits 1 if any schedule failed.
 */
import { parseArgs } from "node:util";
import setupPidDir from "@zkv/membership/testing/global-setup";
import buildPrograms from "../../../../test-support/build-programs.js";
import { dockerUnavailable } from "../compose/availability.js";
import { composeFailureReport, runComposeSchedule } from "./compose/run.js";
import { describeComposeSchedule, generateComposeSchedule } from "./compose/schedule.js";
import { randomSeed } from "./prng.js";
import {
  addToTotals,
  emptyTotals,
  failureReport,
  type RunResult,
  scheduleLine,
  totalsLine,
} from "./report.js";
import { runSchedule } from "./run.js";
import { describeSchedule, generateSchedule } from "./schedule.js";

const USAGE = `usage: pnpm nemesis [--compose] [--seed S[,S2…]] [--schedules K] [--minutes N] [--quiet]

Runs randomized schedules of cluster operations and faults against real Consul and node
processes, and checks that nothing acknowledged is lost, no read is stale and nothing stays stuck.

  --seed S[,S2…]   replay these schedules (each run prints its seed)
  --schedules K    run K schedules (from --seed on, or random seeds)
  --minutes N      run new seeds until N minutes are up
  --quiet          print each schedule's result line, not its steps
  --compose        the docker-compose schedules (container faults); exit 69 without Docker
  --help           this text

Exit: 0 every schedule passed, 1 one failed, 2 bad usage, 69 no Docker engine (--compose).`;

function parseOptions() {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((a) => a !== "--"),
      options: {
        seed: { type: "string" },
        schedules: { type: "string" },
        minutes: { type: "string" },
        quiet: { type: "boolean", default: false },
        compose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    console.error(`nemesis: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const values = parseOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const number = (name: string, raw: string | undefined) => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`nemesis: --${name} must be a non-negative number, got ${raw}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const seeds = values.seed?.split(",").map((s) => number("seed", s)!) ?? [];
const minutes = number("minutes", values.minutes);
const count =
  number("schedules", values.schedules) ??
  (minutes === undefined ? Math.max(1, seeds.length) : Number.POSITIVE_INFINITY);
const deadline = minutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + minutes * 60_000;

// The same pid bookkeeping as a vitest run: whatever a schedule leaves behind is killed on exit.
const removePids = setupPidDir();
// And the same programs: zkv-server and zkv compiled once, not each process from its sources
// (the compose schedules run the images instead).
const removePrograms = values.compose ? () => {} : buildPrograms();
const teardown = () => {
  removePrograms();
  removePids();
};
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    teardown();
    process.exit(130);
  });
}

if (values.compose) {
  const unavailable = dockerUnavailable();
  if (unavailable !== undefined) {
    console.error(`nemesis --compose: no Docker engine can be had here: ${unavailable}`);
    process.exit(69);
  }
}

/** One seed's schedule: its description, and a run of it that resolves to its result and report. */
function scheduleOf(seed: number, log: ((line: string) => void) | undefined) {
  const options = log ? { log } : {};
  if (values.compose) {
    const schedule = generateComposeSchedule(seed);
    return {
      description: describeComposeSchedule(schedule),
      run: async (): Promise<[RunResult, () => string]> => {
        const result = await runComposeSchedule(schedule, options);
        return [result, () => composeFailureReport(result)];
      },
    };
  }
  const schedule = generateSchedule(seed);
  return {
    description: describeSchedule(schedule),
    run: async (): Promise<[RunResult, () => string]> => {
      const result = await runSchedule(schedule, options);
      return [result, () => failureReport(result)];
    },
  };
}

const totals = emptyTotals();
try {
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const seed =
      seeds.length === 0
        ? randomSeed()
        : i < seeds.length
          ? seeds[i]!
          : (seeds[seeds.length - 1]! + i - seeds.length + 1) >>> 0;
    const schedule = scheduleOf(seed, values.quiet ? undefined : (line) => console.log(`   ${line}`));
    console.log(`\n#${i + 1} ${schedule.description}`);
    const [result, report] = await schedule.run();
    addToTotals(totals, result);
    if (result.violations.length > 0) console.log(report());
    console.log(scheduleLine(result));
  }
} finally {
  teardown();
}
console.log(`\n${totalsLine(totals)}`);
process.exitCode = totals.failed > 0 ? 1 : 0;
