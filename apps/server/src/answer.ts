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
import { type HandlerContext, handleRequest } from "./handler.js";
import type { Logger } from "./logger.js";
import { INVALID_OP, type NodeMetrics } from "./metrics.js";

/**
 * Longest error message sent, in UTF-16 code units. Messages may quote client input (an unknown op
 * is echoed whole by the protocol's decoder, a missing key by NOT_FOUND), and an error reply must
 * stay well under maxMessageBytes, or clients refuse it as TOO_LARGE, whatever the request held.
 */
const MAX_ERROR_MESSAGE_CHARS = 256;

/**
 * Builds the reply frames for one incoming message. The envelope is everything up to and
 * including the first empty frame (REQ, and DEALERs that mimic it), or just the routing id for
 * DEALERs that send no delimiter; what follows must be exactly one JSON frame. Never throws: any
 * failure becomes an error reply, so bad input can never stop the serve loop.
 */
export function answerMessage(
  frames: Buffer[],
  ctx: HandlerContext,
  metrics: NodeMetrics,
  log: Logger,
): Buffer[] {
  const started = performance.now();
  let split = frames.findIndex((f, i) => i > 0 && f.length === 0);
  split = split === -1 ? 1 : split + 1;
  const envelope = frames.slice(0, split);
  const decoded = decodeRequest(frames.slice(split), ctx.limits);
  let op: string;
  let reply: Reply;
  if (decoded.ok) {
    op = decoded.request.op;
    reply = replyTo(decoded.request, ctx, log);
  } else {
    op = INVALID_OP;
    reply = toErrorReply(decoded.error, decoded.id);
  }
  // A BATCH's elements were counted one by one as they were applied; the BATCH itself only
  // when it failed as a whole.
  if (op !== "BATCH" || isErrorReply(reply)) metrics.request(op, reply);
  const out = [...envelope, encodeReply(boundErrorMessage(reply))];
  metrics.observe(op, (performance.now() - started) / 1000);
  return out;
}

function replyTo(request: Request, ctx: HandlerContext, log: Logger): Reply {
  try {
    return handleRequest(request, ctx);
  } catch (err) {
    if (isZkvError(err)) return toErrorReply(err, request.id);
    log.error({ err, op: request.op }, "request failed");
    return toErrorReply(new ZkvError(ErrorCode.INTERNAL, "internal error"), request.id);
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
