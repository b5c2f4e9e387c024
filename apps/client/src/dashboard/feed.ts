import { EventEmitter } from "node:events";
import {
  type BlockingWatch,
  type ConsulConfig,
  type RebalanceProgress,
  watchRebalanceProgress,
} from "@zkv/membership";
import { placementKey } from "../lib/cluster/placement.js";
import type { ClientCurve } from "../lib/cluster/security.js";
import { ZkvClient } from "../lib/requests/client.js";
import { nodeRows } from "../lib/requests/nodes-view.js";
import {
  type DashboardState,
  memberViews,
  newerProgress,
  type OpsSample,
  type RingView,
  rebalanceView,
  ringView,
} from "./model.js";

/** How often node STATS are sampled (ops/s is the difference of two samples). */
const SAMPLE_MS = 1000;
/** A run in this process reports every batch (hundreds a second at full speed); pages need ~10. */
const PROGRESS_MS = 100;

/**
 * The live cluster as the dashboard shows it. Pushed by Consul blocking queries (membership and
 * placement through the client, progress reports through their own watch) and sampled from the
 * nodes' STATS once a second; emits `state` after every refresh and `ring` when the placement
 * changes. `start()` resolves once the first state is known; `close()` stops everything.
 */
export class ClusterFeed extends EventEmitter<{ state: [DashboardState]; ring: [RingView] }> {
  #client: ZkvClient | undefined;
  #progressWatch: BlockingWatch<RebalanceProgress | undefined> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #samples = new Map<string, OpsSample>();
  #progress: RebalanceProgress | undefined;
  #state: DashboardState | undefined;
  #ring: RingView | undefined;
  #ringKey = "";
  #progressTimer: NodeJS.Timeout | undefined;
  #lastProgressAt = 0;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(
    private readonly consul: ConsulConfig,
    private readonly curve?: ClientCurve,
  ) {
    super();
  }

  async start(): Promise<void> {
    const curve = this.curve ? { curve: this.curve } : {};
    this.#client = await ZkvClient.connect({ consul: this.consul, timeoutMs: 2000, ...curve });
    this.#progressWatch = watchRebalanceProgress(this.consul);
    this.#progress = await this.#progressWatch.start();
    this.#progressWatch.on("change", (p) => this.report(p));
    this.#client.onChange(() => void this.refresh());
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), SAMPLE_MS);
  }

  /** The latest state; undefined before start() resolved. */
  get state(): DashboardState | undefined {
    return this.#state;
  }

  get ring(): RingView | undefined {
    return this.#ring;
  }

  /**
   * A progress report from this process (a run the dashboard started) or from the watch. A new
   * run or phase is pushed at once, counts at most every PROGRESS_MS (always the latest).
   */
  report(progress: RebalanceProgress | undefined): void {
    const before = this.#progress;
    const shown = newerProgress(before, progress);
    if (shown === before || this.#closed) return;
    this.#progress = shown;
    if (shown?.run !== before?.run || shown?.phase !== before?.phase) {
      this.#pushProgress();
      void this.refresh(); // a phase ends with keys somewhere else: show the new counts now
      return;
    }
    if (this.#progressTimer) return;
    const wait = Math.max(0, this.#lastProgressAt + PROGRESS_MS - Date.now());
    this.#progressTimer = setTimeout(() => this.#pushProgress(), wait);
  }

  /**
   * Samples the nodes and emits the new state. One refresh at a time: a request for another
   * while one runs (a push during a slow STATS) runs once more right after it.
   */
  async refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = this.#sample().finally(() => {
      this.#refreshing = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#refreshing;
  }

  /** Stops the watches, the sampling and the client; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#progressTimer);
    this.#progressWatch?.close();
    this.#client?.close();
  }

  async #sample(): Promise<void> {
    const client = this.#client;
    if (!client || this.#closed) return;
    const record = client.placementRecord;
    const key = `${placementKey(client.hashing, record?.members ?? [])}>${placementKey(client.hashing, record?.transition?.next ?? [])}`;
    if (key !== this.#ringKey) {
      this.#ringKey = key;
      this.#ring = ringView(client.hashing, record);
      this.emit("ring", this.#ring);
    }
    const rows = await nodeRows(client);
    if (this.#closed) return;
    const now = Date.now();
    const { members, samples } = memberViews(rows, this.#samples, now);
    this.#samples = samples;
    this.#publish({
      hashing: client.hashing,
      epoch: record?.epoch,
      members,
      rebalance: rebalanceView(this.#progress, now),
      consulReachable: this.#progressWatch?.reachable ?? true,
      updatedAt: now,
    });
  }

  #pushProgress(): void {
    clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#lastProgressAt = Date.now();
    if (this.#state) this.#publish({ ...this.#state, rebalance: rebalanceView(this.#progress, Date.now()) });
  }

  #publish(state: DashboardState): void {
    this.#state = state;
    this.emit("state", state);
  }
}
