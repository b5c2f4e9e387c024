import { AE_TREE_DEPTH, type TreeNodeSummary } from "@zkv/protocol";
import type { Versioned } from "../store/index.js";
import {
  capNodes,
  childrenOf,
  type DifferingNode,
  differingNodes,
  differingRanges,
  type LeafAsk,
  type NodeAsk,
  pickLeaves,
  planRepair,
  type RangeRoot,
} from "./tree-diff.js";

/** One range's listing: the leaves listed (maybe fewer than asked) and their `[key, version]`s. */
export interface KeyListing {
  readonly leaves: readonly number[];
  readonly entries: ReadonlyArray<readonly [string, number]>;
}

/**
 * One replica's side of a comparison, as the other sees it: its own trees and store (LocalSide)
 * or a peer over the wire (RemoteSide). Every call answers for the ranges both replicate.
 */
export interface ReplicaSide {
  roots(): Promise<RangeRoot[]>;
  /** One list of summaries per ask, aligned with its `nodes`. */
  hashes(asks: readonly NodeAsk[]): Promise<TreeNodeSummary[][]>;
  /** One listing per ask, in order. */
  keys(asks: readonly LeafAsk[]): Promise<KeyListing[]>;
  /** The copies of `keys` (undefined: none), in order. */
  read(keys: readonly string[]): Promise<Array<Versioned | undefined>>;
  /** Applies copies, each kept only where newer; resolves to how many took effect (or were acked). */
  write(copies: ReadonlyArray<readonly [string, Versioned]>): Promise<number>;
}

/** What one round found and did. */
export interface RoundReport {
  /** Ranges compared: those either side holds keys of. */
  readonly ranges: number;
  /** Keys found at different versions (or missing on one side). */
  readonly different: number;
  /** Copies that took effect: applied here, or acknowledged by the other side. */
  readonly repaired: number;
  /** Differing leaves were left for another round. */
  readonly more: boolean;
}

/** Differing nodes above the leaves descended from per round: their leaves are computed by a scan. */
const MAX_LEAF_PARENTS = 2048;

/**
 * One round of anti-entropy between two replicas (Dynamo's Merkle-tree exchange): compare the
 * roots of the ranges both replicate; for those that differ, ask for the children of each
 * differing node, level by level, down to the leaves; list the keys of up to `maxKeys` keys'
 * worth of differing leaves on both sides; then each side takes the newer copy of every key that
 * differs (tombstones included: a deletion wins over an older value). When the replicas agree,
 * a round costs one AE_ROOTS each way.
 */
export async function exchangeRound(
  local: ReplicaSide,
  remote: ReplicaSide,
  maxKeys: number,
): Promise<RoundReport> {
  const [mine, theirs] = await Promise.all([local.roots(), remote.roots()]);
  const { compared, differing } = differingRanges(mine, theirs);
  let frontier: Array<{ replicas: readonly string[]; nodes: DifferingNode[] }> = differing.map((r) => ({
    replicas: r.replicas,
    nodes: [{ index: 0, keys: r.keys }],
  }));
  let cut = false;
  for (let level = 1; level <= AE_TREE_DEPTH && frontier.length > 0; level++) {
    if (level === AE_TREE_DEPTH) {
      const capped = capNodes(frontier, MAX_LEAF_PARENTS);
      frontier = capped.kept;
      cut = capped.more;
    }
    const asks = frontier.map((f) => ({
      replicas: f.replicas,
      level,
      nodes: childrenOf(f.nodes.map((n) => n.index)),
    }));
    const [l, r] = await Promise.all([local.hashes(asks), remote.hashes(asks)]);
    frontier = asks
      .map((a, i) => ({ replicas: a.replicas, nodes: differingNodes(a.nodes, l[i] ?? [], r[i] ?? []) }))
      .filter((f) => f.nodes.length > 0);
  }
  if (frontier.length === 0) return { ranges: compared, different: 0, repaired: 0, more: false };

  const picked = pickLeaves(
    frontier.map((f) => ({ replicas: f.replicas, leaves: f.nodes })),
    maxKeys,
  );
  // The other side may list fewer leaves than asked (to bound its reply): compare only those.
  const theirListing = await remote.keys(picked.asks);
  const listed = picked.asks.map((a, i) => ({ replicas: a.replicas, leaves: theirListing[i]?.leaves ?? [] }));
  const truncated = listed.some((a, i) => a.leaves.length < picked.asks[i]!.leaves.length);
  const myListing = await local.keys(listed.filter((a) => a.leaves.length > 0));
  const plan = planRepair(
    myListing.flatMap((l) => l.entries),
    theirListing.flatMap((l) => l.entries),
  );

  let repaired = 0;
  if (plan.pull.length > 0) {
    const copies = await remote.read(plan.pull);
    repaired += await local.write(present(plan.pull, copies));
  }
  if (plan.push.length > 0) {
    const copies = await local.read(plan.push);
    repaired += await remote.write(present(plan.push, copies));
  }
  return {
    ranges: compared,
    different: plan.pull.length + plan.push.length,
    repaired,
    more: cut || picked.more || truncated,
  };
}

/** `keys` paired with their copies, those that vanished meanwhile left out. */
function present(
  keys: readonly string[],
  copies: ReadonlyArray<Versioned | undefined>,
): Array<readonly [string, Versioned]> {
  const out: Array<readonly [string, Versioned]> = [];
  keys.forEach((key, i) => {
    const copy = copies[i];
    if (copy !== undefined) out.push([key, copy]);
  });
  return out;
}
