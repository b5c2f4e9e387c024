import {
  decodeRequest,
  ErrorCode,
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

/**
 * One reply's frames: the request's envelope (Buffers as received), then the reply's JSON as a
 * string. A string, not a Buffer: zeromq.js converts it to UTF-8 once and frees it on libzmq's
 * thread, where a Buffer over 128 bytes (a GET_ONE of a 100-byte value) is sent without copying
 * and handed back through an async handle that wakes the main thread once more per reply.
 */
export type ReplyFrames = Array<Buffer | string>;

/** The frames of one reply: ready now, or later (once its writes are durable; later, replicated). */
export type PendingReply = ReplyFrames | Promise<ReplyFrames>;

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
  // Written without closures: this runs once per message, and a closure made per call costs an
  // allocation (and, under tsx, a defineProperty naming it) on every request.
  const started = performance.now();
  const split = envelopeLength(frames);
  const decoded = decodeRequest(
    frames.length === split + 1 ? frames[split]! : frames.slice(split),
    ctx.limits,
  );
  if (!decoded.ok) {
    const reply = toErrorReply(decoded.error, decoded.id);
    metrics.request(INVALID_OP, reply);
    return {
      reply: framed(frames, split, reply, INVALID_OP, started, metrics),
      ordered: decoded.id === undefined,
    };
  }
  const request = decoded.request;
  let reply: Reply | Promise<Reply>;
  try {
    reply = handleRequest(request, ctx);
  } catch (err) {
    reply = failure(err, request, log);
  }
  const ordered = request.id === undefined;
  if (!(reply instanceof Promise)) {
    return { reply: settle(frames, split, request, reply, started, ctx, metrics, log), ordered };
  }
  // A replicated key op answers once its replicas have: later, like a write waiting for the disk.
  const later = reply.then(
    (r) => settle(frames, split, request, r, started, ctx, metrics, log),
    (err: unknown) => settle(frames, split, request, failure(err, request, log), started, ctx, metrics, log),
  );
  return { reply: later, ordered };
}

/** Frames up to and including the first empty one after the routing id; just the id without one. */
function envelopeLength(frames: readonly Buffer[]): number {
  for (let i = 1; i < frames.length; i++) if (frames[i]!.length === 0) return i + 1;
  return 1;
}

/** A request's reply, counted, and sent once its writes are durable (at once when nothing waits). */
function settle(
  frames: Buffer[],
  split: number,
  request: Request,
  reply: Reply,
  started: number,
  ctx: HandlerContext,
  metrics: MessageObserver,
  log: Logger,
): PendingReply {
  const op = request.op;
  // A BATCH's elements were counted one by one as they were applied; the BATCH itself only
  // when it failed as a whole.
  if (op !== "BATCH" || isErrorReply(reply)) metrics.request(op, reply);
  const durable = wrote(request, reply) ? ctx.store.sync() : undefined;
  if (durable === undefined) return framed(frames, split, reply, op, started, metrics);
  return durable.then(
    () => framed(frames, split, reply, op, started, metrics),
    (err: unknown) => {
      log.error({ err, op }, "write not durable");
      const notDurable = toErrorReply(new ZkvError(ErrorCode.INTERNAL, "write not durable"), request.id);
      return framed(frames, split, notDurable, op, started, metrics);
    },
  );
}

/** The reply's frames: the request's envelope, then the encoded reply; the message timed. */
function framed(
  frames: readonly Buffer[],
  split: number,
  reply: Reply,
  op: string,
  started: number,
  metrics: MessageObserver,
): ReplyFrames {
  const out: ReplyFrames = frames.slice(0, split);
  // The bytes encodeReply gives (JSON.stringify escapes lone surrogates, so UTF-8 loses nothing).
  out.push(JSON.stringify(boundErrorMessage(reply)));
  metrics.observe(op, (performance.now() - started) / 1000);
  return out;
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

/** The reply to a request whose handling threw: its ZkvError, or INTERNAL (logged) for a bug. */
function failure(err: unknown, request: Request, log: Logger): Reply {
  if (isZkvError(err)) return toErrorReply(err, request.id);
  log.error({ err, op: request.op }, "request failed");
  return toErrorReply(new ZkvError(ErrorCode.INTERNAL, "internal error"), request.id);
}

/** `reply` with an over-long error message cut to MAX_ERROR_MESSAGE_CHARS (never mid surrogate pair). */
function boundErrorMessage(reply: Reply): Reply {
  if (!isErrorReply(reply) || reply.error.message.length <= MAX_ERROR_MESSAGE_CHARS) return reply;
  let message = reply.error.message.slice(0, MAX_ERROR_MESSAGE_CHARS);
  const last = message.charCodeAt(message.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) message = message.slice(0, -1);
  return { ...reply, error: { ...reply.error, message: `${message}…` } };
}
