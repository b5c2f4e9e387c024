import type { Reply } from "@zkv/protocol";
import type { OutgoingRequest } from "./node-connection.js";

/**
 * What a caller makes of a key op's outcome, run where the batcher settles the op: its reply
 * turned into the caller's result, its failure into a retry elsewhere (or the error). One object
 * per kind of call, not per op (the op, its node and deadline are passed in): a caller that
 * chained `.then` on submit's promise instead would cost every op one more promise, promise job
 * and two closures (routeKey, under 50 callers, once per PUT).
 */
export interface Outcome<T> {
  answer(reply: Reply, node: string): T;
  recover(err: unknown, request: OutgoingRequest, node: string, deadline: number): Promise<T>;
}

/** An operation waiting for its reply, as the batcher settles it. */
export interface Settling {
  readonly op: OutgoingRequest;
  readonly deadline: number;
  readonly outcome: Outcome<unknown> | undefined;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/** Settles `q` with its reply, through its outcome when it has one. */
export function succeed(q: Settling, reply: Reply, node: string): void {
  if (q.outcome === undefined) {
    q.resolve(reply);
    return;
  }
  try {
    q.resolve(q.outcome.answer(reply, node));
  } catch (err) {
    q.reject(err);
  }
}

/**
 * Settles `q` with its failure: rejected, or whatever its outcome recovers. Recovery starts in a
 * promise job of its own, as a rejection handler would: a retry it sends at once must not reach
 * this batcher's queue while #take or a settling loop is still going through it.
 */
export function fail(q: Settling, err: unknown, node: string): void {
  const outcome = q.outcome;
  if (outcome === undefined) q.reject(err);
  else queueMicrotask(() => q.resolve(outcome.recover(err, q.op, node, q.deadline)));
}
