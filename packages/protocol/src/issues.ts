import type { z } from "zod";
import { ErrorCode, ZkvError } from "./errors.js";

/**
 * Name of the top-level field the first issue is about, if any.
 *
 * Why only the first path segment: every zkv message is flat at the level a
 * caller can fix, so `"collection"` is more useful to report than `"collection.3.value"`.
 */
export function firstIssueField(issues: readonly z.core.$ZodIssue[]): string | undefined {
  const head = issues[0]?.path[0];
  return head === undefined ? undefined : String(head);
}

/**
 * Converts a failed zod parse into a ZkvError with `field` set.
 *
 * Why centralised: request and reply decoding must report shape errors the
 * same way, and the zod error is kept as `cause` for logs only.
 */
export function zodErrorToZkv(error: z.ZodError, what: string, code: ErrorCode = ErrorCode.INVALID_REQUEST) {
  const field = firstIssueField(error.issues);
  const detail = error.issues[0]?.message ?? "invalid";
  const message =
    field === undefined ? `invalid ${what}: ${detail}` : `invalid ${what} field "${field}": ${detail}`;
  return new ZkvError(code, message, { cause: error, ...(field === undefined ? {} : { field }) });
}
