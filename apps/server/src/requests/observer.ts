import type { Reply } from "@zkv/protocol";
import type { MoveObserver } from "../cluster/cluster-ops.js";

/** The `op` label of a message that did not decode to a request (bad JSON, unknown op, …). */
export const INVALID_OP = "INVALID";

/** Where request handling reports what it did; a node's NodeMetrics, or nothing in unit tests. */
export interface RequestObserver extends MoveObserver {
  /** One operation answered: a request, or one element of a BATCH. */
  request(op: string, reply: Reply): void;
  /** `n` operations of one kind answered alike (BATCH columns count their successes at once). */
  count(op: string, outcome: string, n: number): void;
}

/** What answering a message reports to: each operation, and how long each message took. */
export interface MessageObserver extends RequestObserver {
  /** One message handled in `seconds` (a BATCH is one observation, whatever it holds). */
  observe(op: string, seconds: number): void;
}
