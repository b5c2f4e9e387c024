import { hash32 } from "@zkv/hashring";

/** Each node id's hash, computed once: ids are few and live as long as the client. */
const idHashes = new Map<string, number>();

function idHash(id: string): number {
  let h = idHashes.get(id);
  if (h === undefined) {
    h = hash32(id) >>> 0;
    idHashes.set(id, h);
  }
  return h;
}

/**
 * The replica that coordinates a key's writes and reads, among `replicas` (the key's preference
 * list): the one ranked first of those `isUp`, by a rendezvous hash of the replica set itself.
 *
 * Any replica may coordinate (Dynamo's top-n), and each message costs far more than each op in
 * it, so keys that share a replica set should share a coordinator: then a client's concurrent
 * ops go out in as few messages as there are replica sets in play (one, when every node holds
 * every key), not one per primary. The choice depends only on the set (not its order) and on
 * who is up, never on which ops travel together, so every client that sees the same health
 * sends a key's writes through the same node: one node's clock orders them, as the primary's did.
 * Ranking by the set's hash spreads sets over their members, so no node coordinates
 * everything in a cluster larger than the replication factor. Falls back to the first replica
 * (the owner) when none is up, so the caller gets that node's error and fails over as before.
 */
export function coordinatorOf(replicas: readonly string[], isUp: (id: string) => boolean): string {
  if (replicas.length === 1) return replicas[0]!;
  const set = setSeed(replicas);
  let best: string | undefined;
  let bestScore = -1;
  for (const id of replicas) {
    if (!isUp(id)) continue;
    const score = rendezvousScore(id, set);
    // Equal scores (a 32-bit collision) fall to the smaller id, so the order never matters.
    if (score > bestScore || (score === bestScore && id < best!)) {
      best = id;
      bestScore = score;
    }
  }
  return best ?? replicas[0]!;
}

/**
 * coordinatorOf among the replicas that `serve` (up and not bootstrapping), else among those up.
 * A bootstrapping replica takes writes, and its ack counts, but it coordinates worse: its own
 * copy counts toward no read, so each read waits for r others, and it versions a write without
 * the key's last version in hand (its clock, not the key's copy, keeps the order). So while
 * another replica of the key serves, that one coordinates; all clients seeing the same states
 * from Consul still pick the same node.
 */
export function servingCoordinatorOf(
  replicas: readonly string[],
  serves: (id: string) => boolean,
  isUp: (id: string) => boolean,
): string {
  if (replicas.length === 1) return replicas[0]!;
  const chosen = coordinatorOf(replicas, serves);
  return serves(chosen) ? chosen : coordinatorOf(replicas, isUp);
}

/**
 * coordinatorOf for one replica set asked again and again: its members ranked once, so a pick is
 * the first of them that is up, with no hashing. For a cluster that keeps a copy on every member
 * (every key's set is all of them), where hashing the key for its preference list and the set
 * for its coordinator was a tenth of the client's CPU per op under 50 callers.
 */
export class RankedReplicas {
  /** Best first: the order coordinatorOf's scores give them. */
  readonly #ranked: readonly string[];

  constructor(readonly replicas: readonly string[]) {
    const set = setSeed(replicas);
    const scored = replicas.map((id) => ({ id, score: rendezvousScore(id, set) }));
    scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#ranked = scored.map((s) => s.id);
  }

  /** What coordinatorOf(replicas, isUp) picks when some replica is up; undefined when none is. */
  firstUp(isUp: (id: string) => boolean): string | undefined {
    for (const id of this.#ranked) if (isUp(id)) return id;
    return undefined;
  }
}

/** The replica set's own hash: the seed its members are ranked with. Independent of order. */
function setSeed(replicas: readonly string[]): number {
  let set = 0;
  for (const id of replicas) set ^= idHash(id);
  return set;
}

/** The id hashed with the set as seed: rendezvous. */
function rendezvousScore(id: string, set: number): number {
  return hash32(id, set) >>> 0;
}
