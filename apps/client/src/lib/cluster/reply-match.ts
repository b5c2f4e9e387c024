import {
  DEFAULT_LIMITS,
  errorFromReply,
  isErrorReply,
  type Op,
  PIECEWISE_BYTES,
  parseJsonSafe,
  type Reply,
  validateReply,
  type ZkvError,
} from "@zkv/protocol";
import { doneReply, okReplyId } from "./ok-reply.js";
import { parseValuesReply } from "./values-reply.js";

/** A request in flight on a connection, waiting for its reply. */
export interface Pending {
  readonly op: Op;
  resolve(reply: Reply): void;
  reject(err: ZkvError): void;
  /** Date.now() past which it fails with TIMEOUT. */
  readonly deadline: number;
  readonly timeoutMs: number;
}

/**
 * Settles the request `body` answers, taking it out of `pending`: with the reply, or with the
 * reply's error (an error reply, or a reply whose shape is not its op's). A body that answers
 * no request in flight (not JSON, no id, an id already settled or timed out) is ignored.
 */
export function settleReply(body: Buffer, pending: Map<number, Pending>): void {
  const okId = okReplyId(body);
  const acked = okId === 0 ? undefined : pending.get(okId);
  if (acked?.op === "PUT") {
    // Exactly what validateReply makes of it, with no string, JSON.parse or check.
    pending.delete(okId);
    acked.resolve({ ok: true, id: okId });
    return;
  }
  const done = okId === 0 ? doneReply(body) : undefined;
  const batch = done === undefined ? undefined : pending.get(done.id);
  if (batch?.op === "BATCH") {
    // The same: what validateReply makes of a BATCH's `{"done":n,"id":…}`.
    pending.delete(done!.id);
    batch.resolve(done!);
    return;
  }
  // Parse once, find the request by id, then check the shape against that request's op only.
  const value =
    body.length >= PIECEWISE_BYTES ? parseValuesReply(body, DEFAULT_LIMITS.maxJsonDepth) : undefined;
  const parsed =
    value === undefined
      ? parseJsonSafe(body.toString("utf8"), DEFAULT_LIMITS.maxJsonDepth)
      : { ok: true as const, value };
  if (!parsed.ok) return; // not a zkv reply: nothing to match it to
  const id = (parsed.value as { id?: unknown } | null)?.id;
  const request = typeof id === "number" ? pending.get(id) : undefined;
  if (!request || typeof id !== "number") return;
  pending.delete(id);
  let reply: Reply;
  try {
    reply = validateReply(parsed.value, request.op);
  } catch (err) {
    request.reject(err as ZkvError);
    return;
  }
  if (isErrorReply(reply)) request.reject(errorFromReply(reply));
  else request.resolve(reply);
}
