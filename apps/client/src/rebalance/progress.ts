import { hostname } from "node:os";
import type { ProgressPublisher, RebalanceProgress } from "@zkv/membership";
import type { MoveProgress } from "./mover.js";

/** What the mover and the runner report, in the order a run goes through them. */
export type RunEvent = MoveProgress | { readonly phase: "waiting-for-node"; readonly node: string };

/** The run a report is about. */
export interface RunIdentity {
  readonly run: string;
  readonly kind: RebalanceProgress["kind"];
  readonly node: string;
}

/**
 * The report of a run that has just begun: an add begins by waiting for its node, anything else
 * by listing keys. The first report is published at once and later ones at most once a second,
 * so it must name the phase the run is really in.
 */
export function initialProgress(
  id: RunIdentity,
  now: number,
  phase: "waiting-for-node" | "scanning" = "scanning",
): RebalanceProgress {
  return {
    version: 1,
    ...id,
    phase,
    planned: 0,
    moved: 0,
    swept: 0,
    scanned: 0,
    rate: 0,
    startedAt: now,
    updatedAt: now,
    holder: `${process.pid}@${hostname()}`,
  };
}

/**
 * The report after one event. Pure, so the arithmetic is tested by hand: `moved` counts planned
 * keys whose batch is done (so it reaches `planned` exactly when the move is over), and `rate` is
 * keys moved (planned and swept) per second since `movingSince`, the first moving event.
 */
export function progressAfter(
  prev: RebalanceProgress,
  event: RunEvent,
  now: number,
  movingSince: number | undefined,
): RebalanceProgress {
  const next: RebalanceProgress = { ...prev, phase: event.phase, updatedAt: now };
  if (event.phase === "scanning") next.scanned = event.done;
  else if (event.phase === "moving") {
    next.planned = event.total;
    next.moved = event.done;
  } else if (event.phase === "sweeping") next.swept = event.done;
  const seconds = movingSince === undefined ? 0 : (now - movingSince) / 1000;
  next.rate = seconds > 0 ? Math.round((next.moved + next.swept) / seconds) : 0;
  return next;
}

/**
 * Keeps one run's report and sends it on: to Consul through the (throttled) publisher, for
 * watchers in other processes, and to `listener` at every event, for this process.
 */
export class ProgressReporter {
  #progress: RebalanceProgress;
  #movingSince: number | undefined;

  constructor(
    id: RunIdentity,
    private readonly publisher: ProgressPublisher | undefined,
    private readonly listener: ((p: RebalanceProgress) => void) | undefined,
    firstPhase: "waiting-for-node" | "scanning" = "scanning",
  ) {
    this.#progress = initialProgress(id, Date.now(), firstPhase);
    this.#emit();
  }

  /** The latest report. */
  get progress(): RebalanceProgress {
    return this.#progress;
  }

  update(event: RunEvent): void {
    const now = Date.now();
    if (event.phase === "moving") this.#movingSince ??= now;
    this.#progress = progressAfter(this.#progress, event, now, this.#movingSince);
    this.#emit();
  }

  /** The run is over: the counts of its result, written to Consul at once. */
  async done(result: { planned: number; swept: number; scanned: number }): Promise<void> {
    this.#progress = {
      ...this.#progress,
      phase: "done",
      planned: result.planned,
      moved: result.planned,
      swept: result.swept,
      scanned: result.scanned,
      updatedAt: Date.now(),
    };
    this.#emit();
    await this.publisher?.flush();
  }

  /** The run failed: its error, written to Consul at once. */
  async failed(err: unknown): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    this.#progress = { ...this.#progress, phase: "failed", error, updatedAt: Date.now() };
    this.#emit();
    await this.publisher?.flush();
  }

  #emit(): void {
    this.publisher?.publish(this.#progress);
    this.listener?.(this.#progress);
  }
}
