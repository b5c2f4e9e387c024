import { ErrorCode, ZkvError } from "@zkv/protocol";
import { countable, type PeerStates } from "./quorum.js";
import { notAReplica, notEnough } from "./replica-errors.js";
import type { WritePlan } from "./replicator-options.js";

/** Who plans: this node, whether it serves (not bootstrapping), and what it knows of its peers. */
export interface Planner {
  readonly self: string;
  readonly serving: boolean;
  readonly peers: PeerStates;
}

/**
 * A key's replicas other than this node, and how many must answer (this node included): `w` or
 * `r`, plus `gained` during a rebalance. Then `replicas` are the current placement's followed by
 * the `gained` ones only the next placement names, and answers from w + gained of them include
 * w of each placement whichever they are: a write acknowledged during the move is on w replicas
 * of the placement that follows it, and a read of r during the move meets every write
 * acknowledged before it.
 */
function quorumOf(
  self: string,
  replicas: readonly string[],
  wanted: number,
  what: "w" | "r",
  gained: number,
) {
  const placed = replicas.length - gained;
  if (wanted > placed) {
    throw new ZkvError(ErrorCode.INVALID_REQUEST, `${what}=${wanted} exceeds the key's ${placed} replicas`, {
      field: what,
    });
  }
  return { others: replicas.filter((p) => p !== self), needed: wanted + gained };
}

/**
 * Who a write of `key` with quorum `w` goes to; refuses before anything is written: WRONG_NODE
 * when this node does not replicate the key (any more), NOT_ENOUGH_REPLICAS when too few of its
 * replicas are up. `gained`: during a rebalance, how many of `replicas` (the last ones) only the
 * next placement names (see quorumOf).
 *
 * Every replica that takes the write counts toward `w`, a bootstrapping one (this node or a
 * peer) too: its copy is real, it keeps it (its pull from the others only ever adds newer
 * copies, and a data dir it restarts with is kept), and only reads, which its missing copies
 * would mislead, leave it out. As Cassandra counts a joining node's acks toward a write. Before,
 * with one replica down, every write to a key whose other replica was still bootstrapping was
 * refused: a whole add's worth of writes, the joining node bootstrapping throughout.
 */
export function planWrite(
  key: string,
  replicas: readonly string[],
  w: number,
  p: Planner,
  gained = 0,
  next?: readonly string[],
): WritePlan {
  if (!replicas.includes(p.self)) throw notAReplica(key, replicas);
  const { others, needed } = quorumOf(p.self, replicas, w, "w", gained);
  const up = others.filter((o) => p.peers.isUp(o));
  if (gained > 0 && next !== undefined) return splitPlan(key, replicas, w, p, gained, next, others, up);
  if (1 + up.length < needed) throw notEnough(key, needed, 1 + up.length, [], "write");
  return { others, needed, up };
}

/**
 * planWrite during a rebalance when the next placement's replicas are known: the write needs w
 * replicas of the current placement and w of the next, counted apart (a replica of both counts
 * for both), rather than w + gained of the two together. That sum guarantees the same without
 * knowing which is which, but it also refuses a write that has w of each: with one current
 * replica down and the joining node still bootstrapping, every write to its keys was refused.
 */
function splitPlan(
  key: string,
  replicas: readonly string[],
  w: number,
  p: Planner,
  gained: number,
  next: readonly string[],
  others: readonly string[],
  up: readonly string[],
): WritePlan {
  const current = replicas.slice(0, replicas.length - gained);
  const counts = (id: string) => id === p.self || up.includes(id);
  const inCurrent = current.filter(counts).length;
  const inNext = next.filter(counts).length;
  if (inCurrent < w || inNext < w) {
    throw notEnough(key, w, Math.min(inCurrent, inNext), [], "write", "of each placement");
  }
  return { others, needed: w + gained, up, split: { current, next, w } };
}

/** A read's plan: the peers to ask, how many answers it needs, and whether this node's copy counts. */
export interface ReadPlan {
  readonly up: readonly string[];
  readonly needed: number;
  readonly self: boolean;
}

/**
 * Who a read of `key` with quorum `r` asks, or NOT_ENOUGH_REPLICAS before asking anyone. A node
 * outside the replicas reads follow (a new one, still being copied to) asks them, and its own
 * copy does not count. `gained` as for planWrite.
 */
export function planRead(
  key: string,
  replicas: readonly string[],
  r: number,
  p: Planner,
  gained = 0,
): ReadPlan {
  const { others, needed } = quorumOf(p.self, replicas, r, "r", gained);
  const self = p.serving && replicas.includes(p.self);
  const { up, bootstrapping, count } = countable(self, others, p.peers);
  if (count < needed) throw notEnough(key, needed, count, bootstrapping, "read");
  return { up, needed, self };
}
