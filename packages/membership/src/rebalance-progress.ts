import type Consul from "consul";
import { z } from "zod";
import { type ConsulConfig, createConsulClient } from "./config.js";
import { parseKvRecord, watchKvRecord } from "./kv-json.js";
import { type MembershipLogger, silentLogger } from "./logger.js";
import { KV_PREFIX } from "./settings.js";
import type { BlockingWatch } from "./watch.js";

/**
 * The KV key where a running add-node / remove-node / set-replication reports how far it is, so that anyone (the
 * dashboard) can watch a rebalance started by another process. It is a report, not state: the
 * placement record alone says what the cluster is doing, and nothing reads this to decide.
 */
export const REBALANCE_PROGRESS_KEY = `${KV_PREFIX}rebalance-progress`;

const RebalanceProgressSchema = z.object({
  version: z.literal(1),
  /** The transition's run id (the placement record's `transition.run`). */
  run: z.string().min(1),
  /** `set-replication`: a change of the replication factor; `node` then names the target, `n=3`. */
  kind: z.enum(["add", "remove", "set-replication"]),
  node: z.string().min(1),
  phase: z.enum(["waiting-for-node", "scanning", "moving", "sweeping", "done", "failed"]),
  /** Keys the plan moves (0 until the scan is over). */
  planned: z.number().int().nonnegative(),
  /** Planned keys whose batch has moved: equals `planned` once the move is over. */
  moved: z.number().int().nonnegative(),
  /** Entries the final sweep moved that the plan had not named (writes racing the scan). */
  swept: z.number().int().nonnegative(),
  /** Keys the nodes held when they were listed. */
  scanned: z.number().int().nonnegative(),
  /** Keys per second since the move began. */
  rate: z.number().nonnegative(),
  /** Milliseconds since the epoch. */
  startedAt: z.number(),
  updatedAt: z.number(),
  /** Who runs it (`pid@host`), for an operator who finds it stuck. */
  holder: z.string(),
  /** Why a failed run failed. */
  error: z.string().optional(),
});

/** How far one rebalance is, as it last reported. */
export type RebalanceProgress = z.infer<typeof RebalanceProgressSchema>;

/** Parses a stored report; InvalidSettingError when it is not one. */
export function parseRebalanceProgress(raw: string): RebalanceProgress {
  return parseKvRecord(REBALANCE_PROGRESS_KEY, raw, RebalanceProgressSchema, "progress report");
}

/**
 * Writes a rebalance's progress to Consul at most once per interval (a move reports after every
 * batch, thousands of times a second at full speed; Consul's Raft log should not see each). The
 * first report is written at once, later ones coalesce to the latest, and flush() writes the last
 * one now, so a finished run is never left showing a stale count. Best effort: a failed write is
 * logged once per outage and never fails the rebalance.
 */
export class ProgressPublisher {
  readonly #consul: Consul;
  readonly #intervalMs: number;
  readonly #log: MembershipLogger;
  #pending: RebalanceProgress | undefined;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastWrite = 0;
  #failing = false;
  #closed = false;

  constructor(config: ConsulConfig, options: { intervalMs?: number; logger?: MembershipLogger } = {}) {
    this.#consul = createConsulClient(config);
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#log = options.logger ?? silentLogger;
  }

  /** Records the latest progress; it reaches Consul within one interval. */
  publish(progress: RebalanceProgress): void {
    if (this.#closed) return;
    this.#pending = progress;
    if (this.#timer || this.#inFlight) return; // the write or timer under way picks it up
    const wait = this.#lastWrite + this.#intervalMs - Date.now();
    if (wait <= 0) this.#write();
    else {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#write();
      }, wait);
      this.#timer.unref();
    }
  }

  /** Writes the latest progress now (after any write in flight) and resolves when it is stored. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    if (this.#pending) this.#write();
    await this.#inFlight;
  }

  /** Drops anything not yet written and stops the timer; safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#pending = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #write(): void {
    const progress = this.#pending;
    if (!progress) return;
    this.#pending = undefined;
    this.#lastWrite = Date.now();
    this.#inFlight = this.#consul.kv
      .set({ key: REBALANCE_PROGRESS_KEY, value: JSON.stringify(progress), timeout: 5000 } as never)
      .then(
        () => {
          if (this.#failing) this.#log.info({ key: REBALANCE_PROGRESS_KEY }, "progress reports resumed");
          this.#failing = false;
        },
        (err: Error) => {
          if (!this.#failing)
            this.#log.warn({ key: REBALANCE_PROGRESS_KEY, err: err.message }, "could not report progress");
          this.#failing = true;
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
        if (this.#pending && !this.#closed) this.publish(this.#pending);
      });
  }
}

/**
 * Push notifications of the progress report (undefined while there is none). A report this
 * version cannot read is shown as none rather than stopping the watch.
 */
export function watchRebalanceProgress(
  config: ConsulConfig,
  logger?: MembershipLogger,
): BlockingWatch<RebalanceProgress | undefined> {
  const parse = (raw: string) => {
    try {
      return parseRebalanceProgress(raw);
    } catch {
      return undefined;
    }
  };
  return watchKvRecord(createConsulClient(config), REBALANCE_PROGRESS_KEY, parse, logger);
}
