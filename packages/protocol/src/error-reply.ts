import { ErrorCode, ZkvError } from "./errors.js";
import type { RequestId } from "./schemas/common.js";
import type { ErrorReply, Reply } from "./schemas/replies.js";

/**
 * Any thrown value → the wire error reply, echoing `id` when given.
 *
 * Why: the server's handlers throw or return ZkvErrors and this is the one
 * place that turns them into bytes-to-be. Anything that is not a ZkvError is
 * a bug: it becomes INTERNAL with a fixed message, so stack traces and
 * internal details never leak to clients.
 */
export function toErrorReply(err: unknown, id?: RequestId): ErrorReply {
  const error: ErrorReply["error"] =
    err instanceof ZkvError
      ? {
          code: err.code,
          message: err.message,
          ...(err.field === undefined ? {} : { field: err.field }),
          ...(err.owner === undefined ? {} : { owner: err.owner }),
        }
      : { code: ErrorCode.INTERNAL, message: "internal error" };
  return id === undefined ? { error } : { error, id };
}

/**
 * A wire error reply → a ZkvError with the same code and field.
 *
 * Why: clients reject their promises with the same error type the server
 * raised, so application code branches on `err.code` whichever side failed.
 */
export function errorFromReply(reply: ErrorReply): ZkvError {
  const { code, message, field, owner } = reply.error;
  return new ZkvError(code, message, {
    ...(field === undefined ? {} : { field }),
    ...(owner === undefined ? {} : { owner }),
  });
}

/**
 * Splits a decoded {@link Reply} into failure and success, narrowing the type.
 * Only meaningful on replies already validated by `decodeReply` or built by
 * the server: it checks for the `error` member alone.
 */
export function isErrorReply(reply: Reply): reply is ErrorReply {
  return Object.hasOwn(reply, "error");
}
