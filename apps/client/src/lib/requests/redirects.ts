import { ErrorCode, isConditional, type Reply, ZkvError } from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import type { OutgoingRequest } from "../cluster/node-connection.js";
import type { Outcome } from "../cluster/outcome.js";

/** Redirects (WRONG_NODE, ASK) one request may follow before giving up: a loop means a bug. */
const MAX_REDIRECTS = 8;

/** A key request's reply, and the node that gave it (the owner, or where redirects led). */
export interface Routed {
  readonly reply: Reply;
  readonly node: string;
}

/**
 * Sends a key request to its coordinator (its owner, or with replication the replica
 * ClusterView.coordinatorOf picks; a conditional write always to its owner, which alone decides
 * it) and follows the cluster through a rebalance: WRONG_NODE (our placement is stale) goes to
 * the named owner, ASK (the key moved mid-rebalance) goes to the named node with `asking`,
 * TRY_AGAIN (the key is being copied) is retried after a short pause, and a node that vanished
 * is retried where the placement now puts the key, or, with replication, on the key's next
 * replica; so is, on a replica that is up, a request whose coordinator could not reach enough
 * replicas (NOT_ENOUGH_REPLICAS: nothing was written).
 */
export function routeToOwner(cluster: ClusterView, request: KeyOp): Promise<Routed> {
  return routeKey(cluster, request, new RoutedOutcome(cluster, routed));
}

const routed = (reply: Reply, node: string): Routed => ({ reply, node });

/**
 * How a routed key request ends: its reply handed, with the node that gave it, to `answer`
 * (whose result the caller's promise resolves to), and a failure followed through redirects and
 * failovers (below). One per kind of call, made once: the batcher settles each op through it
 * with no promise, promise job or closure of the op's own (put() under 50 callers).
 */
export class RoutedOutcome<T> implements Outcome<T> {
  constructor(
    private readonly cluster: ClusterView,
    readonly answer: (reply: Reply, node: string) => T,
  ) {}

  recover(err: unknown, request: OutgoingRequest, node: string, deadline: number): Promise<T> {
    const { key } = request as KeyOp;
    return redirected(this.cluster, key, request, node, err, deadline).then((r) =>
      this.answer(r.reply, r.node),
    );
  }
}

/**
 * Sends a key request to its coordinator and resolves with what `outcome` makes of the reply,
 * after whatever redirects and retries it took (see routeToOwner).
 */
export function routeKey<T>(cluster: ClusterView, request: KeyOp, outcome: RoutedOutcome<T>): Promise<T> {
  // The first attempt is a plain promise (most requests need no other): the retry loop, an
  // async function with its extra turns, runs only after a redirect or a failure.
  let target: string;
  try {
    target =
      cluster.replicationRecord.n === 1 || isConditional(request)
        ? cluster.ownerOf(request.key)
        : cluster.coordinatorOf(request.key);
  } catch (err) {
    return Promise.reject(err);
  }
  return cluster.nodes.send(target, request, cluster.nodes.timeoutMs, outcome);
}

async function redirected(
  cluster: ClusterView,
  key: string,
  request: OutgoingRequest,
  firstTarget: string,
  firstError: unknown,
  deadline: number,
): Promise<Routed> {
  let err = firstError;
  let target = firstTarget;
  let asking = false;
  let redirects = 0;
  const tried = new Set([firstTarget]);
  const untried = () => cluster.replicasOf(key).find((r) => !tried.has(r));
  const untriedUp = () => cluster.replicasOf(key).find((r) => !tried.has(r) && cluster.nodes.isUp(r));
  for (let attempt = 0; ; attempt++) {
    if (!(err instanceof ZkvError) || Date.now() >= deadline) throw err;
    if (err.code === ErrorCode.WRONG_NODE || err.code === ErrorCode.ASK) {
      if (++redirects > MAX_REDIRECTS || err.owner === undefined) throw err;
      target = err.owner;
      asking = err.code === ErrorCode.ASK;
    } else if (err.code === ErrorCode.NODE_UNAVAILABLE && redirects > 0 && !cluster.nodes.has(target)) {
      // A node redirected us to a node our view of Consul does not have yet (it has just joined,
      // and its registration reaches this client a moment after it reached the node): wait for it.
      await new Promise((r) => setTimeout(r, Math.min(2 ** attempt, 50)));
    } else if (err.code === ErrorCode.TRY_AGAIN) {
      await new Promise((r) => setTimeout(r, Math.min(2 ** attempt, 50)));
      target = cluster.ownerOf(key);
      asking = false;
    } else if (
      err.code === ErrorCode.NODE_UNAVAILABLE &&
      !isConditional(request) && // decided by the key's primary alone: no failover
      untried() !== undefined
    ) {
      // Its owner moved (the placement changed) or, with replication, another replica can
      // coordinate the request instead.
      target = untried()!;
      asking = false;
    } else if (
      err.code === ErrorCode.NOT_ENOUGH_REPLICAS &&
      !isConditional(request) &&
      untriedUp() !== undefined
    ) {
      // The coordinator reached too few replicas and wrote nothing. It may be the one cut off
      // from the others while Consul and this client still reach it: another replica may reach
      // them. Only one that is up: a frozen or critical one would only turn this into a timeout.
      target = untriedUp()!;
      asking = false;
    } else {
      throw err;
    }
    tried.add(target);
    try {
      const reply = await cluster.nodes.send(
        target,
        asking ? ({ ...request, asking: true } as OutgoingRequest) : request,
      );
      return { reply, node: target };
    } catch (next) {
      err = next;
    }
  }
}
