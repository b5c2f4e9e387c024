import {
  decodeRequest,
  ErrorCode,
  encodeReply,
  isErrorReply,
  isZkvError,
  type Reply,
  type Request,
  toErrorReply,
  ZkvError,
} from "@zkv/protocol";
import type { Logger } from "../logger.js";
import { type HandlerContext, handleRequest } from "./handler.js";
import { INVALID_OP, type MessageObserver } from "./observer.js";

/**
 * Longest error message sent, in UTF-16 code units. Messages may quote client input (an unknown op
 * is echoed whole by the protocol's decoder, a missing key by NOT_FOUND), and an error reply must
 * stay well under maxMessageBytes, or clients refuse it as TOO_LARGE, whatever the request held.
 */
const MAX_ERROR_MESSAGE_CHARS = 256;

/** The frames of one reply: ready now, or later (once its writes are durable; later, replicated). */
export type PendingReply = Buffer[] | Promise<Buffer[]>;

/**
 * Builds the reply frames for one incoming message. The envelope is everything up to and
 * including the first empty frame (REQ, and DEALERs that mimic it), or just the routing id for
 * DEALERs that send no delimiter; what follows must be exactly one JSON frame. Never throws: any
 * failure becomes an error reply, so bad input can never stop the serve loop.
 *
 * A request that wrote is acknowledged only once its writes are durable under the store's sync
 * policy: its reply is then a promise (which never rejects: a failed commit becomes INTERNAL).
 * Everything else, and every write on a store with nothing to wait for, is answered at once.
 *
 * `ordered` is true for a request without an id: its client can only match replies by their
 * order, so its reply must not overtake an earlier one. A reply to a request with an id may leave
 * as soon as it is ready, so one slow write never holds back every other client's replies.
 */
export function answer(
  frames: Buffer[],
  ctx: HandlerContext,
  metrics: MessageObserver,
  log: Logger,
): { reply: PendingReply; ordered: boolean } {
  const started = performance.now();
  let split = frames.findIndex((f, i) => i > 0 && f.length === 0);
  split = split === -1 ? 1 : split + 1;
  const envelope = frames.slice(0, split);
  const decoded = decodeRequest(frames.slice(split), ctx.limits);
  let op: string;
  let reply: Reply | Promise<Reply>;
  if (decoded.ok) {
    op = decoded.request.op;
    reply = replyTo(decoded.request, ctx, log);
  } else {
    op = INVALID_OP;
    reply = toErrorReply(decoded.error, decoded.id);
  }
  const finish = (final: Reply): Buffer[] => {
    const out = [...envelope, encodeReply(boundErrorMessage(final))];
    metrics.observe(op, (performance.now() - started) / 1000);
    return out;
  };
  const settle = (reply: Reply): PendingReply => {
    // A BATCH's elements were counted one by one as they were applied; the BATCH itself only
    // when it failed as a whole.
    if (op !== "BATCH" || isErrorReply(reply)) metrics.request(op, reply);
    const durable = decoded.ok && wrote(decoded.request, reply) ? ctx.store.sync() : undefined;
    if (durable === undefined) return finish(reply);
    return durable.then(
      () => finish(reply),
      (err: unknown) => {
        log.error({ err, op }, "write not durable");
        return finish(
          toErrorReply(
            new ZkvError(ErrorCode.INTERNAL, "write not durable"),
            decoded.ok ? decoded.request.id : undefined,
          ),
        );
      },
    );
  };
  // A replicated key op answers once its replicas have: later, like a write waiting for the disk.
  const id = decoded.ok ? decoded.request.id : decoded.id;
  return { reply: reply instanceof Promise ? reply.then(settle) : settle(reply), ordered: id === undefined };
}

/** Ops whose success may have changed the store. */
const WRITE_OPS = new Set<string>(["PUT", "DELETE", "IMPORT", "MIGRATE_COMMIT", "REPLICATE", "TRIM"]);

/**
 * True when `request` may have written: a write op that did not fail, or a BATCH holding one.
 * Reads never wait for the disk, even in a BATCH of reads.
 */
function wrote(request: Request, reply: Reply): boolean {
  if (isErrorReply(reply)) return false;
  if (request.op !== "BATCH") return WRITE_OPS.has(request.op);
  if (request.columns !== undefined) {
    const { ops, rows = [] } = request.columns;
    return ops.includes("P") || ops.includes("D") || rows.some(isWrite);
  }
  return request.ops!.some(isWrite);
}

function isWrite(element: unknown): boolean {
  const op = (element as { op?: unknown } | null)?.op;
  return op === "PUT" || op === "DELETE";
}

function replyTo(request: Request, ctx: HandlerContext, log: Logger): Reply | Promise<Reply> {
  const failed = (err: unknown): Reply => {
    if (isZkvError(err)) return toErrorReply(err, request.id);
    log.error({ err, op: request.op }, "request failed");
    return toErrorReply(new ZkvError(ErrorCode.INTERNAL, "internal error"), request.id);
  };
  try {
    const reply = handleRequest(request, ctx);
    return reply instanceof Promise ? reply.catch(failed) : reply;
  } catch (err) {
    return failed(err);
  }
}

/** `reply` with an over-long error message cut to MAX_ERROR_MESSAGE_CHARS (never mid surrogate pair). */
function boundErrorMessage(reply: Reply): Reply {
  if (!isErrorReply(reply) || reply.error.message.length <= MAX_ERROR_MESSAGE_CHARS) return reply;
  let message = reply.error.message.slice(0, MAX_ERROR_MESSAGE_CHARS);
  const last = message.charCodeAt(message.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) message = message.slice(0, -1);
  return { ...reply, error: { ...reply.error, message: `${message}…` } };
}
