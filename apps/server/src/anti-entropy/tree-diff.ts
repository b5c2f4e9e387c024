import { AE_TREE_FANOUT, type TreeNodeSummary } from "@zkv/protocol";
import { EMPTY_NODE } from "./hash-tree.js";

/**
 * The pure steps of comparing two replicas' trees: which ranges differ, which children to ask
 * for next, which leaves to list in one round, and, from the two listings, which keys each side
 * must take from the other. No I/O: exchange.ts runs them against the two sides.
 */

/** A range's root on one side. */
export interface RangeRoot {
  readonly replicas: readonly string[];
  readonly root: TreeNodeSummary;
}

/** Some nodes of one range's tree at one level. */
export interface NodeAsk {
  readonly replicas: readonly string[];
  readonly level: number;
  readonly nodes: readonly number[];
}

/** A node found different, and the most keys either side holds below it. */
export interface DifferingNode {
  readonly index: number;
  readonly keys: number;
}

/** Some leaves of one range: what is listed in a round. */
export interface LeafAsk {
  readonly replicas: readonly string[];
  readonly leaves: readonly number[];
}

/** True when two summaries describe the same keys at the same versions. */
export function sameNode(a: TreeNodeSummary, b: TreeNodeSummary): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/**
 * The ranges either side holds keys of, and those whose roots differ (a range one side lacks
 * counts as empty there). `compared` is how many ranges the comparison covered.
 */
export function differingRanges(
  local: readonly RangeRoot[],
  remote: readonly RangeRoot[],
): { compared: number; differing: Array<{ readonly replicas: readonly string[]; readonly keys: number }> } {
  const byId = new Map<
    string,
    { replicas: readonly string[]; mine: TreeNodeSummary; theirs: TreeNodeSummary }
  >();
  for (const r of local)
    byId.set(rangeId(r.replicas), { replicas: r.replicas, mine: r.root, theirs: EMPTY_NODE });
  for (const r of remote) {
    const seen = byId.get(rangeId(r.replicas));
    if (seen) seen.theirs = r.root;
    else byId.set(rangeId(r.replicas), { replicas: r.replicas, mine: EMPTY_NODE, theirs: r.root });
  }
  const differing = [...byId.values()]
    .filter((r) => !sameNode(r.mine, r.theirs))
    .map((r) => ({ replicas: r.replicas, keys: Math.max(r.mine[1], r.theirs[1]) }));
  return { compared: byId.size, differing };
}

/** The children (one level down) of `nodes`, in order. */
export function childrenOf(nodes: readonly number[]): number[] {
  const out: number[] = [];
  for (const n of nodes) for (let c = 0; c < AE_TREE_FANOUT; c++) out.push(n * AE_TREE_FANOUT + c);
  return out;
}

/** Of `nodes`, those whose summaries differ (the two lists aligned with `nodes`). */
export function differingNodes(
  nodes: readonly number[],
  local: readonly TreeNodeSummary[],
  remote: readonly TreeNodeSummary[],
): DifferingNode[] {
  const out: DifferingNode[] = [];
  nodes.forEach((index, i) => {
    const mine = local[i] ?? EMPTY_NODE;
    const theirs = remote[i] ?? EMPTY_NODE;
    if (!sameNode(mine, theirs)) out.push({ index, keys: Math.max(mine[1], theirs[1]) });
  });
  return out;
}

/**
 * The differing nodes to descend from this round: in order, at most `max` in all (at least one).
 * `more` says some were left for a later round.
 */
export function capNodes<T extends { readonly nodes: readonly DifferingNode[] }>(
  frontier: readonly T[],
  max: number,
): { kept: T[]; more: boolean } {
  let room = Math.max(1, max);
  const kept: T[] = [];
  for (const f of frontier) {
    if (room === 0) return { kept, more: true };
    const nodes = f.nodes.slice(0, room);
    room -= nodes.length;
    kept.push({ ...f, nodes });
    if (nodes.length < f.nodes.length) return { kept, more: true };
  }
  return { kept, more: false };
}

/** A name for a range's replica list, for matching the two sides' ranges. */
function rangeId(replicas: readonly string[]): string {
  return replicas.join("\u0000");
}

/**
 * The differing leaves to list this round: in order, as long as their keys stay within
 * `maxKeys` (always at least one leaf, so a round makes progress). `more` says some were left
 * for a later round.
 */
export function pickLeaves(
  candidates: ReadonlyArray<{
    readonly replicas: readonly string[];
    readonly leaves: readonly DifferingNode[];
  }>,
  maxKeys: number,
): { asks: LeafAsk[]; more: boolean } {
  const asks: LeafAsk[] = [];
  let keys = 0;
  let picked = 0;
  let total = 0;
  for (const c of candidates) {
    total += c.leaves.length;
    const leaves: number[] = [];
    for (const leaf of c.leaves) {
      if (picked > 0 && keys + leaf.keys > maxKeys) break;
      leaves.push(leaf.index);
      keys += leaf.keys;
      picked++;
    }
    if (leaves.length > 0) asks.push({ replicas: c.replicas, leaves });
  }
  return { asks, more: picked < total };
}

/**
 * Which keys each side must take from the other, given both listings of the same leaves
 * (`[key, version]`, tombstones included): the newer version wins, a key missing on one side
 * goes to it. Equal versions are the same write, so they are left alone.
 */
export function planRepair(
  local: Iterable<readonly [string, number]>,
  remote: Iterable<readonly [string, number]>,
): { pull: string[]; push: string[] } {
  const mine = new Map(local);
  const pull: string[] = [];
  const push: string[] = [];
  for (const [key, theirs] of remote) {
    const version = mine.get(key);
    if (version === undefined || theirs > version) pull.push(key);
    else if (version > theirs) push.push(key);
    mine.delete(key);
  }
  for (const key of mine.keys()) push.push(key);
  return { pull, push };
}
