// What the Placement card shows, computed without the DOM (test/web-placement.test.ts runs it in
// Node): each node's share of the circle, the circle at display resolution, and what a rebalance
// changes. With 1024 virtual nodes a node owns a thousand slivers, each a fraction of a pixel:
// drawn as they are they blur into confetti, so the ring is redrawn in whole steps and the shares
// are read from bars.
import { count } from "./format.js";

/** @typedef {import("../src/dashboard/model.js").Segment} Segment */
/** @typedef {import("../src/dashboard/model.js").RingView} RingView */
/** @typedef {import("../src/dashboard/model.js").RebalanceView} RebalanceView */

/**
 * A node's row beside the ring: its share now and, during a rebalance, after it.
 * @typedef {object} ShareRow
 * @property {string} node
 * @property {number} now  fraction of the circle it owns now (0 for a node joining)
 * @property {number | undefined} after  fraction once the rebalance is over; undefined when none runs
 * @property {string} nowText  "25.0%"; the column adds up to 100.0%
 * @property {string | undefined} afterText
 * @property {"joining" | "leaving" | undefined} change  set on the node the rebalance adds or removes
 */

/**
 * Steps the ring is drawn in: 4° each, about 10 px around the ring as the page draws it, so each
 * step's colour can be told from its neighbours' (at 1°, ~2 px, they blend into a rainbow). A
 * node's drawn total is within a step (1.1%) of its share; the bars beside the ring are exact.
 */
export const DISPLAY_STEPS = 90;

/**
 * Node ids in the order people count them: node-2 before node-10.
 * @param {string} a
 * @param {string} b
 */
export function byId(a, b) {
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * Each node's share of the circle, in id order: its fraction of the hash space (ring) or of the
 * weight (HRW), which is the fraction of the keys it should hold. The shares sum to 1.
 * @param {readonly Segment[]} segments
 * @returns {Map<string, number>}
 */
export function sharesOf(segments) {
  /** @type {Map<string, number>} */
  const widths = new Map();
  let total = 0;
  for (const s of segments) {
    widths.set(s.node, (widths.get(s.node) ?? 0) + (s.end - s.start));
    total += s.end - s.start;
  }
  return new Map([...widths].sort(([a], [b]) => byId(a, b)).map(([node, w]) => [node, w / total]));
}

/**
 * Whole units per node (steps of the circle, tenths of a percent) that sum to exactly `units`,
 * each the exact share rounded down or up: the largest-remainder method, ties to the first id.
 * @param {ReadonlyMap<string, number>} shares  summing to 1
 * @param {number} units
 * @returns {Map<string, number>}
 */
export function apportion(shares, units) {
  const exact = [...shares].map(([node, share]) => ({ node, x: share * units }));
  const counts = new Map(exact.map((e) => [e.node, Math.floor(e.x)]));
  let left = units - [...counts.values()].reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((e) => ({ node: e.node, rest: e.x - Math.floor(e.x) }))
    .sort((a, b) => b.rest - a.rest || byId(a.node, b.node));
  for (const { node } of byRemainder) {
    if (left <= 0) break;
    counts.set(node, (counts.get(node) ?? 0) + 1);
    left--;
  }
  return counts;
}

/**
 * Tenths of a percent as the page writes them: 250 → "25.0%".
 * @param {number} tenths
 */
function percentText(tenths) {
  return `${(tenths / 10).toFixed(1)}%`;
}

/**
 * Shares as percentages with one decimal that add up to exactly 100.0%.
 * @param {ReadonlyMap<string, number>} shares
 * @returns {Map<string, string>}
 */
export function percentTexts(shares) {
  return new Map([...apportion(shares, 1000)].map(([node, tenths]) => [node, percentText(tenths)]));
}

/**
 * The circle at display resolution, in `steps` equal steps. Each node gets as many steps as its
 * share rounds to (apportion), placed where it really owns the circle: its k-th of n steps is
 * pinned to the point where it has covered (k + ½)/n of its share, and steps go out in the order
 * of those points. Consecutive steps of one node then merge into one arc. So the arcs cover the
 * circle once, none is narrower than a step, a node's drawn total is within a step of its share,
 * and each step lies within about 1.5 steps per node of ground its node owns. A thousand slivers
 * become evenly spaced stripes; a node owning one stretch (HRW) stays one arc.
 * @param {readonly Segment[]} segments  covering the circle [0, 1)
 * @param {number} [steps]
 * @returns {Segment[]} in circle order
 */
export function displayArcs(segments, steps = DISPLAY_STEPS) {
  const ordered = [...segments].sort((a, b) => a.start - b.start);
  const total = ordered.reduce((sum, s) => sum + (s.end - s.start), 0);
  const shares = sharesOf(ordered);
  const counts = apportion(shares, steps);
  /** Each node's pinned points, in circle order (the segments are). */
  /** @type {string[]} */
  const pins = [];
  /** @type {Map<string, { covered: number, next: number }>} */
  const walk = new Map();
  for (const s of ordered) {
    const n = counts.get(s.node) ?? 0;
    const own = (shares.get(s.node) ?? 0) * total;
    const w = walk.get(s.node) ?? { covered: 0, next: 0 };
    const end = w.covered + (s.end - s.start);
    while (w.next < n && ((w.next + 0.5) / n) * own <= end) {
      pins.push(s.node);
      w.next++;
    }
    walk.set(s.node, { covered: end, next: w.next });
  }
  // Rounding can leave a last pin just past a node's summed width: it belongs at its last arc.
  for (const [node, n] of counts) for (let k = walk.get(node)?.next ?? 0; k < n; k++) pins.push(node);

  /** @type {Array<{ node: string, start: number, end: number }>} */
  const arcs = [];
  pins.forEach((node, i) => {
    const last = arcs[arcs.length - 1];
    if (last?.node === node) last.end = (i + 1) / steps;
    else arcs.push({ node, start: i / steps, end: (i + 1) / steps });
  });
  return arcs;
}

/**
 * The one node in one placement and not the other: the node a rebalance adds or removes.
 * @param {readonly Segment[]} current
 * @param {readonly Segment[]} next
 * @returns {{ node: string, change: "joining" | "leaving" } | undefined}
 */
export function changingNode(current, next) {
  const before = new Set(current.map((s) => s.node));
  const after = new Set(next.map((s) => s.node));
  for (const node of after) if (!before.has(node)) return { node, change: "joining" };
  for (const node of before) if (!after.has(node)) return { node, change: "leaving" };
  return undefined;
}

/**
 * The rows beside the ring: every node of either placement in id order, with its share now and,
 * during a rebalance, after it; the node joining or leaving is marked.
 * @param {RingView} ring
 * @returns {ShareRow[]}
 */
export function shareRows(ring) {
  const now = sharesOf(ring.current);
  const after = ring.next ? sharesOf(ring.next) : undefined;
  const nowTexts = percentTexts(now);
  const afterTexts = after ? percentTexts(after) : undefined;
  const changing = ring.next ? changingNode(ring.current, ring.next) : undefined;
  const nodes = [...new Set([...now.keys(), ...(after?.keys() ?? [])])].sort(byId);
  return nodes.map((node) => ({
    node,
    now: now.get(node) ?? 0,
    after: after ? (after.get(node) ?? 0) : undefined,
    nowText: nowTexts.get(node) ?? percentText(0),
    afterText: afterTexts ? (afterTexts.get(node) ?? percentText(0)) : undefined,
    change: changing?.node === node ? changing.change : undefined,
  }));
}

/**
 * How far the joining or leaving node's keys have moved, from the rebalance's reports: undefined
 * when the last report is about another change, or the run is over.
 * @param {RebalanceView | undefined} r
 * @param {ShareRow} row
 * @returns {{ fraction: number | undefined, text: string } | undefined}  no fraction before the
 *   plan is known
 */
export function movingProgress(r, row) {
  const kind = row.change === "joining" ? "add" : row.change === "leaving" ? "remove" : undefined;
  if (!r || !kind || r.kind !== kind || r.node !== row.node) return undefined;
  if (r.phase === "done" || r.phase === "failed") return undefined;
  const fraction = r.planned > 0 ? Math.min(1, r.moved / r.planned) : undefined;
  const doing =
    r.phase === "waiting-for-node"
      ? "waiting for its health check"
      : r.phase === "scanning"
        ? "listing the keys"
        : `${count(r.moved)} of ${count(r.planned)} keys moved`;
  return { fraction, text: r.stale ? `${doing}; no report for a while` : doing };
}
