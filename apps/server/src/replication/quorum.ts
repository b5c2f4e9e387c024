/**
 * How a quorum wait ended: enough answers that count, or not. `answers` holds every answer that
 * arrived in time, counted or not (read repair uses them all); `timedOut` tells a deadline from
 * replicas that failed or answered without counting.
 */
export type QuorumOutcome<T> =
  | { readonly ok: true; readonly answers: ReadonlyMap<string, T> }
  | {
      readonly ok: false;
      readonly answers: ReadonlyMap<string, T>;
      readonly missing: readonly string[];
      /** Answers that arrived but do not count (their replicas were bootstrapping). */
      readonly uncounted: number;
      readonly timedOut: boolean;
    };

/**
 * Waits for `needed` of the replicas asked to answer with an answer that `counts` (default: any).
 * Resolves as soon as enough have (the rest keep going: a late ack still lands, and read repair
 * still sees late answers through `onLate`), or with ok: false once so many failed or answered
 * without counting that `needed` cannot be reached, or at the deadline. Never rejects: a
 * replica's failure is an answer missing, not an error.
 */
export function awaitQuorum<T>(
  requests: ReadonlyMap<string, Promise<T>>,
  needed: number,
  timeoutMs: number,
  onLate?: (replica: string, answer: T) => void,
  counts: (answer: T) => boolean = () => true,
): Promise<QuorumOutcome<T>> {
  return new Promise((resolve) => {
    const answers = new Map<string, T>();
    let counted = 0;
    let lost = 0; // failed, or answered without counting
    let settled = false;
    const finish = (ok: boolean, timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const missing = [...requests.keys()].filter((r) => !answers.has(r));
      const uncounted = answers.size - counted;
      resolve(
        ok
          ? { ok, answers: new Map(answers) }
          : { ok, answers: new Map(answers), missing, uncounted, timedOut },
      );
    };
    const giveUpIfHopeless = () => {
      if (requests.size - lost < needed) finish(false);
    };
    const timer = setTimeout(() => finish(false, true), timeoutMs);
    if (needed <= 0) finish(true);
    giveUpIfHopeless();
    for (const [replica, request] of requests) {
      request.then(
        (answer) => {
          if (settled) return onLate?.(replica, answer);
          answers.set(replica, answer);
          if (counts(answer)) counted++;
          else lost++;
          if (counted >= needed) finish(true);
          else giveUpIfHopeless();
        },
        () => {
          if (settled) return;
          lost++;
          giveUpIfHopeless();
        },
      );
    }
  });
}

/** What a coordinator knows of its peers before it asks them. */
export interface PeerStates {
  /** Reachable: connected and not critical in Consul. */
  isUp(peer: string): boolean;
  /** Serving, as far as known (its last answer, else its Consul meta): not bootstrapping. */
  isServing(peer: string): boolean;
}

/**
 * The replicas of a key that can count toward a read quorum now: this node if it serves, and
 * each of `others` that is up and serving. `up` are the others to ask (bootstrapping ones
 * included: their copies take part in "newest wins", they just do not count); `bootstrapping`
 * names those left out. (A write counts every replica up: see planWrite.)
 */
export function countable(selfServing: boolean, others: readonly string[], peers: PeerStates) {
  const up = others.filter((p) => peers.isUp(p));
  const bootstrapping = up.filter((p) => !peers.isServing(p));
  return { up, bootstrapping, count: (selfServing ? 1 : 0) + up.length - bootstrapping.length };
}
