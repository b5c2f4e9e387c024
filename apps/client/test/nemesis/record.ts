import { describeViolation, type Violation } from "./checker.js";
import type { History } from "./history.js";

/** Violations shown in the timeline as they are found; the report lists them all by kind. */
const LIVE_VIOLATIONS = 5;

/**
 * A schedule's record as it runs: the timeline (each line stamped with the seconds since the
 * schedule began, and passed to `log` at once, so a long run shows progress) and the violations.
 */
export class RunRecord {
  readonly timeline: string[] = [];
  readonly violations: Violation[] = [];
  readonly #started = performance.now();

  constructor(private readonly log?: (line: string) => void) {}

  /** Seconds since the schedule began. */
  get seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }

  readonly note = (line: string): void => {
    const stamped = `${this.seconds.toFixed(1).padStart(6)}s ${line}`;
    this.timeline.push(stamped);
    this.log?.(stamped);
  };

  readonly violation = (v: Violation): void => {
    this.violations.push(v);
    const count = this.violations.length;
    if (count <= LIVE_VIOLATIONS) this.note(`VIOLATION ${describeViolation(v)}`);
    else if (count === LIVE_VIOLATIONS + 1) this.note("more violations: see the report");
  };

  /** The harness itself failed (a start, a command): reported like a violation, with its stack. */
  readonly harnessFailed = (err: unknown): void => {
    this.violation({ invariant: "available", kind: "harness", detail: (err as Error).stack ?? String(err) });
  };

  /** Acknowledged writes and increments found lost. */
  get lost(): number {
    return this.violations.filter(
      (v) => (v.invariant === "read" || v.invariant === "counter") && v.kind.startsWith("lost"),
    ).length;
  }

  /** A run's result, but its schedule: what this record holds, the history's summary, the counts. */
  outcome(history: History, counts: { operations: number; clientOps: number; output: string }) {
    return {
      violations: this.violations,
      timeline: this.timeline,
      history: history.summary(),
      operations: counts.operations,
      clientOps: counts.clientOps,
      lost: this.lost,
      seconds: this.seconds,
      /** The tail of what the cluster printed. */
      launcherOutput: counts.output.slice(-8000),
    };
  }
}
