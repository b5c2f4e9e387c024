import { describeViolation } from "./checker.js";
import type { ScheduleResult } from "./run.js";
import { describeSchedule } from "./schedule.js";

/** What a report needs of a schedule's run, whichever runner (processes, compose) ran it. */
export type RunResult = Omit<ScheduleResult, "schedule"> & { readonly schedule: { readonly seed: number } };

/** Violations listed in full in a report; the rest are counted by kind. */
const SHOWN = 25;

/** Counts over many schedules. */
export interface Totals {
  schedules: number;
  failed: number;
  operations: number;
  clientOps: number;
  acked: number;
  /** Reads made during the runs, each checked against the writes around it. */
  reads: number;
  lost: number;
  failedSeeds: number[];
}

export function emptyTotals(): Totals {
  return {
    schedules: 0,
    failed: 0,
    operations: 0,
    clientOps: 0,
    acked: 0,
    reads: 0,
    lost: 0,
    failedSeeds: [],
  };
}

export function addToTotals(totals: Totals, result: RunResult): void {
  totals.schedules++;
  totals.operations += result.operations;
  totals.clientOps += result.clientOps;
  totals.acked += result.history.acked + result.history.casAcked;
  totals.reads += result.history.reads;
  totals.lost += result.lost;
  if (result.violations.length > 0) {
    totals.failed++;
    totals.failedSeeds.push(result.schedule.seed);
  }
}

/** One line per schedule: its verdict and counts. */
export function scheduleLine(r: RunResult): string {
  const h = r.history;
  const verdict =
    r.violations.length === 0 ? "ok" : `FAILED (${r.violations.length} violations: ${byKind(r)})`;
  return (
    `seed ${r.schedule.seed}: ${verdict}; ${r.operations} operations, ${r.clientOps} client ops, ` +
    `${h.acked} writes acknowledged (${h.indeterminate} indeterminate), ${h.casAcked} CAS increments acknowledged ` +
    `(${h.casIndeterminate} indeterminate), ${h.reads} reads checked, lost ${r.lost}, ${r.seconds.toFixed(1)} s`
  );
}

export function totalsLine(t: Totals): string {
  const failed = t.failed > 0 ? `, failed seeds: ${t.failedSeeds.join(" ")}` : "";
  return (
    `total: ${t.schedules} schedules (${t.failed} failed), ${t.operations} operations, ${t.clientOps} client ops, ` +
    `${t.acked} acknowledged writes and increments, ${t.reads} reads checked, lost ${t.lost}${failed}`
  );
}

/** Everything needed to understand and replay a failed schedule. */
export function failureReport(r: ScheduleResult): string {
  return reportFailure(r, {
    replay: "pnpm nemesis",
    description: describeSchedule(r.schedule),
    output: "launcher output (tail):",
  });
}

/** How a runner's failure reads: its replay command, its schedule, what its output is. */
export interface ReportStyle {
  readonly replay: string;
  readonly description: string;
  readonly output: string;
}

export function reportFailure(r: RunResult, style: ReportStyle): string {
  const h = r.history;
  const lines = [
    `==== nemesis: seed ${r.schedule.seed} failed; replay with: ${style.replay} --seed ${r.schedule.seed}`,
    style.description,
    `history: ${h.writes} writes (${h.deletes} deletes), ${h.acked} acknowledged, ${h.indeterminate} indeterminate; ` +
      `CAS ${h.casAcked} acknowledged, ${h.casIndeterminate} indeterminate, ${h.casConflicts} conflicts`,
    "failures:",
    ...Object.entries(h.errors).map(([cause, n]) => `  ${n} ${cause}`),
    `violations: ${r.violations.length} (${byKind(r)})`,
    ...r.violations.slice(0, SHOWN).map((v) => `  ${describeViolation(v)}`),
    ...(r.violations.length > SHOWN ? [`  … ${r.violations.length - SHOWN} more`] : []),
    "timeline:",
    ...r.timeline.map((l) => `  ${l}`),
    style.output,
    r.launcherOutput.trim() || "  (nothing)",
  ];
  return lines.join("\n");
}

function byKind(r: RunResult): string {
  const counts = new Map<string, number>();
  for (const v of r.violations)
    counts.set(`${v.invariant}/${v.kind}`, (counts.get(`${v.invariant}/${v.kind}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
}
