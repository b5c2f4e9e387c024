import { ConsistentHashRing } from "@zkv/hashring";
import type { HashingMode, PlacementRecord, RebalanceProgress } from "@zkv/membership";
import type { NodeRow } from "../lib/requests/nodes-view.js";

/**
 * The dashboard's view state, computed from what the cluster says (placement record, Consul
 * membership, node STATS, progress reports). Pure: every number on the page is tested here
 * without a process.
 */

/** One row of the members table. */
export interface MemberView {
  readonly id: string;
  /** "member", "adding", "removing", or "no" for a live node the placement does not name. */
  readonly desired: string;
  readonly live: boolean;
  readonly health: string | undefined;
  readonly address: string | undefined;
  readonly weight: number;
  /** From STATS; undefined when the node could not be asked. */
  readonly keys: number | undefined;
  readonly bytes: number | undefined;
  /** Messages answered per second between the last two samples, our own STATS left out. */
  readonly opsPerSecond: number | undefined;
  /** Members Consul shows passing that this node cannot reach (STATS): a cut Consul does not see. */
  readonly unreachablePeers: readonly string[];
}

/** A STATS sample kept to turn the next one's counter into a rate. */
export interface OpsSample {
  readonly opsServed: number;
  readonly at: number;
}

/** A stretch of the picture: `node` owns the fraction [start, end) of the circle. */
export interface Segment {
  readonly node: string;
  readonly start: number;
  readonly end: number;
}

/** The circle: the placement in force and, during a rebalance, the one data is moving to. */
export interface RingView {
  readonly hashing: HashingMode;
  readonly current: readonly Segment[];
  readonly next: readonly Segment[] | undefined;
}

/** A rebalance as the page shows it. */
export interface RebalanceView extends RebalanceProgress {
  /** Seconds left at the current rate; undefined when it cannot be told. */
  readonly etaSeconds: number | undefined;
  /** True when a run that is not over has not reported for a while (killed, or hung). */
  readonly stale: boolean;
}

/** Everything on the page but the circle (which changes only with the placement). */
export interface DashboardState {
  readonly hashing: HashingMode;
  readonly epoch: number | undefined;
  readonly members: readonly MemberView[];
  readonly rebalance: RebalanceView | undefined;
  readonly consulReachable: boolean;
  readonly updatedAt: number;
}

/** A run that has not reported for this long is shown as stale (reports come at least every second). */
export const STALE_AFTER_MS = 10_000;
/** Fractions are rounded to this many decimals: far below a pixel, and a much smaller message. */
const DECIMALS = 6;

/** Joins `zkv nodes` rows with the previous samples: the table, and the samples to keep. */
export function memberViews(
  rows: readonly NodeRow[],
  previous: ReadonlyMap<string, OpsSample>,
  now: number,
): { members: MemberView[]; samples: Map<string, OpsSample> } {
  const samples = new Map<string, OpsSample>();
  const members = rows.map((r): MemberView => {
    let opsPerSecond: number | undefined;
    if (r.stats) {
      const before = previous.get(r.id);
      samples.set(r.id, { opsServed: r.stats.opsServed, at: now });
      // A counter that went down is a restarted node: no rate until the next sample.
      if (before && now > before.at && r.stats.opsServed >= before.opsServed) {
        const ours = 1; // the STATS request that produced this sample
        opsPerSecond = Math.max(0, r.stats.opsServed - before.opsServed - ours) / ((now - before.at) / 1000);
      }
    }
    return {
      id: r.id,
      desired: r.desired,
      live: r.live,
      health: r.health,
      address: r.address,
      weight: r.weight,
      keys: r.stats?.keys,
      bytes: r.stats?.bytes,
      opsPerSecond: opsPerSecond === undefined ? undefined : Math.round(opsPerSecond * 10) / 10,
      unreachablePeers: r.stats?.unreachablePeers ?? [],
    };
  });
  return { members, samples };
}

/**
 * How a placement divides the circle. Ring: the real ring, each node's arcs (consecutive tokens
 * merged), so adding a node shows exactly which stretches it takes. HRW has no positions, only
 * shares: each node one segment, as wide as its weight's share, in id order.
 */
export function segments(
  hashing: HashingMode,
  nodes: ReadonlyArray<{ readonly id: string; readonly weight: number }>,
): Segment[] {
  if (nodes.length === 0) return [];
  const round = (x: number) => Number(x.toFixed(DECIMALS));
  if (hashing === "ring") {
    const ring = new ConsistentHashRing(nodes.map((n) => ({ id: n.id, weight: n.weight })));
    return ring
      .arcs()
      .map((a) => ({ node: a.node, start: round(a.start / 2 ** 32), end: round(a.end / 2 ** 32) }));
  }
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const total = sorted.reduce((sum, n) => sum + n.weight, 0);
  let at = 0;
  return sorted.map((n) => {
    const start = at;
    at += n.weight / total;
    return { node: n.id, start: round(start), end: round(at) };
  });
}

/** The circle for a placement record: its members, and where a transition is going. */
export function ringView(hashing: HashingMode, record: PlacementRecord | undefined): RingView {
  return {
    hashing,
    current: segments(hashing, record?.members ?? []),
    next: record?.transition ? segments(hashing, record.transition.next) : undefined,
  };
}

/** A progress report as shown: with its ETA, and marked stale when its run stopped reporting. */
export function rebalanceView(
  progress: RebalanceProgress | undefined,
  now: number,
): RebalanceView | undefined {
  if (!progress) return undefined;
  const over = progress.phase === "done" || progress.phase === "failed";
  const left = progress.planned - progress.moved;
  const etaSeconds =
    progress.phase === "moving" && progress.rate > 0 ? Math.ceil(left / progress.rate) : over ? 0 : undefined;
  return { ...progress, etaSeconds, stale: !over && now - progress.updatedAt > STALE_AFTER_MS };
}

/**
 * Which of two reports to show. A run this process runs is reported twice (in-process at every
 * event, and through Consul at most once a second), so within one run the later report wins and
 * a Consul echo never sets a fresher in-process count back. Another run is a newer run: the KV key
 * only ever moves forward, so it wins whatever the clocks of the two hosts say.
 */
export function newerProgress(
  shown: RebalanceProgress | undefined,
  incoming: RebalanceProgress | undefined,
): RebalanceProgress | undefined {
  if (!incoming) return shown;
  if (!shown || incoming.run !== shown.run) return incoming;
  return incoming.updatedAt >= shown.updatedAt ? incoming : shown;
}
