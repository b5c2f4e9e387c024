import type { ConsulConfig, RebalanceProgress } from "@zkv/membership";
import type { ClientCurve } from "../lib/cluster/security.js";
import { type MembershipChange, RebalanceError } from "../rebalance/plan.js";
import { type RebalanceResult, rebalance } from "../rebalance/rebalance.js";

/** How a run the dashboard started ended. */
export type ActionOutcome =
  | { readonly ok: true; readonly result: RebalanceResult }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * The dashboard's add-node and remove-node buttons: the same `rebalance()` the CLI runs, in this
 * process, one at a time. `start()` resolves once the run is under way (it holds the lock and has
 * written its transition), or rejects with the reason it was refused, so the page can say so at
 * once; the rest of the run is followed through its progress reports.
 */
export class RebalanceActions {
  #running: Promise<unknown> | undefined;
  #closed = false;

  constructor(
    private readonly consul: ConsulConfig,
    private readonly curve: ClientCurve | undefined,
    private readonly onReport: (p: RebalanceProgress) => void,
    private readonly onOutcome: (outcome: ActionOutcome) => void = () => {},
  ) {}

  /** True while a run started here has not finished. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Starts a run; resolves to its run id once it is under way. */
  start(change: MembershipChange): Promise<{ run: string }> {
    if (this.#closed) return Promise.reject(new Error("the dashboard is closing"));
    if (this.#running)
      return Promise.reject(
        new RebalanceError("REBALANCE_IN_PROGRESS", "this dashboard is already running a rebalance"),
      );
    return new Promise((resolve, reject) => {
      let started = false;
      const run = rebalance({
        consul: this.consul,
        change,
        ...(this.curve ? { curve: this.curve } : {}),
        onReport: (p) => {
          this.onReport(p);
          if (started) return;
          started = true;
          resolve({ run: p.run });
        },
      });
      this.#running = run
        .then(
          (result) => this.onOutcome({ ok: true, result }),
          (err: Error & { code?: string }) => {
            if (!started) return reject(err);
            this.onOutcome({ ok: false, code: err.code ?? "FAILED", message: err.message });
          },
        )
        .finally(() => {
          this.#running = undefined;
        });
    });
  }

  /** Waits for a run in progress to finish (a rebalance is not abandoned halfway on purpose). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}
