import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HashingMode } from "@zkv/membership";

/** A rebalance progress report, stamped with performance.now(). */
export type Progress = { phase: string; t: number; done?: number; total?: number };

/** performance.now() readings at the boundaries of a rebalance's phases. */
export interface PhaseMarks {
  started: number;
  waitAt: number;
  joined: number;
  scanEnd: number;
  firstMove: number;
  lastMove: number;
  ended: number;
}

/** Seconds spent in each phase of a rebalance. */
export interface Phases {
  lock: number;
  nodeStart: number;
  scan: number;
  plan: number;
  move: number;
  sweepAndFinish: number;
}

/**
 * The phase boundaries of one rebalance, from its stamped progress reports, when it started and
 * ended, and when Consul first saw the added node passing. A phase that reported nothing takes no time.
 */
export function phaseMarks(
  events: readonly Progress[],
  { started, joinedAt, ended }: { started: number; joinedAt: number | undefined; ended: number },
): PhaseMarks {
  const at = (phase: string, which: "first" | "last") => {
    const list = events.filter((e) => e.phase === phase);
    return (which === "first" ? list[0] : list[list.length - 1])?.t;
  };
  const waitAt = at("waiting-for-node", "first") ?? started;
  const scanEnd = at("scanning", "last") ?? waitAt;
  const firstMove = at("moving", "first") ?? scanEnd;
  const lastMove = at("moving", "last") ?? scanEnd;
  const joined = joinedAt ?? waitAt;
  return { started, waitAt, joined, scanEnd, firstMove, lastMove, ended };
}

/** The time between consecutive marks, in seconds. */
export function phaseSeconds(m: PhaseMarks): Phases {
  return {
    lock: (m.waitAt - m.started) / 1000,
    nodeStart: (m.joined - m.waitAt) / 1000,
    scan: (m.scanEnd - m.joined) / 1000,
    plan: (m.firstMove - m.scanEnd) / 1000,
    move: (m.lastMove - m.firstMove) / 1000,
    sweepAndFinish: (m.ended - m.lastMove) / 1000,
  };
}

/** A performance.now() reading on the monotonic clock V8 stamps profiles with, in µs. */
function monotonicMicros(perfNow: number): number {
  const nowMicros = Number(process.hrtime.bigint() / 1000n);
  return Math.round(nowMicros - (performance.now() - perfNow) * 1000);
}

/**
 * Writes the marks as monotonic µs to `window-<hashing>.json` in `profileDir`. V8's .cpuprofile
 * timestamps and process.hrtime share the monotonic clock: these marks pick each phase's samples
 * out of every process's profile.
 */
export function writeProfileMarks(profileDir: string, hashing: HashingMode, marks: PhaseMarks): void {
  const micros = Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, monotonicMicros(v)]));
  const file = join(profileDir, `window-${hashing}.json`);
  writeFileSync(file, `${JSON.stringify(micros)}\n`);
  console.log(`profile marks (monotonic µs) written to ${file}`);
}
