import { ErrorCode, isZkvError, type Reply } from "@zkv/protocol";
import type { OutgoingRequest } from "../lib/cluster/node-connection.js";
import type { ZkvClient } from "../lib/requests/client.js";
import { withRetries } from "../lib/retry/with-retries.js";

/** Admin requests move up to a message of data: give them more time than a key request. */
export const OP_TIMEOUT_MS = 30_000;

/**
 * How long a request is retried: a node restarting, paused or cut off for a few seconds
 * mid-move fails calls (not connected, connection lost, bootstrapping, unknown run), and a later
 * one resumes where it stopped. Past this the run exits (NODE_UNAVAILABLE, 69) and a re-run
 * resumes.
 */
export const PATIENCE_MS = 30_000;

/** Errors no retry can mend: the request itself, or this client's key, is at fault. */
const PERMANENT: ReadonlySet<string> = new Set([
  ErrorCode.AUTH_FAILED,
  ErrorCode.BAD_JSON,
  ErrorCode.BAD_FRAMES,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.UNKNOWN_OP,
  ErrorCode.TOO_LARGE,
]);

/**
 * One request of a move (MIGRATION, STATS, fetch, import, commit, hand-off, trim) to `node`,
 * retried for PATIENCE_MS while it fails for a reason a moment may mend. Every such request is
 * idempotent, so a retry of one that may have been applied is safe. The nemesis found the need:
 * an add whose first request met a node restarting exited 69 in a step with no fault of its own.
 */
export function adminRequest(client: ZkvClient, node: string, request: OutgoingRequest): Promise<Reply> {
  return retriedLikeAdmin(() => client.request(node, request, OP_TIMEOUT_MS));
}

/** `call` (idempotent, such as a node's whole scan), retried as adminRequest retries. */
export function retriedLikeAdmin<T>(call: () => Promise<T>): Promise<T> {
  return withRetries(call, {
    patienceMs: PATIENCE_MS,
    retryIf: (err) => !(isZkvError(err) && PERMANENT.has(err.code)),
  });
}
