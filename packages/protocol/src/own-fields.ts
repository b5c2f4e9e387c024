import { isDeadline, isRequestId } from "./schemas/common.js";

/** Own property lookup, so an absent field never resolves through the prototype chain. */
export function own(fields: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/**
 * For the hand-written fast paths: how many of `value`'s fields are its `op` (which must be `op`),
 * its id and, `withDeadline`, its deadline (each when present, a valid one), or -1 when it is no
 * such message. A fast path adds the
 * fields it knows and takes the message only if Object.keys counts exactly as many.
 */
export function envelopeFields(value: unknown, op: string, withDeadline = false): number {
  if (typeof value !== "object" || value === null) return -1;
  const fields = value as Record<string, unknown>;
  if (own(fields, "op") !== op) return -1;
  let count = 1;
  if (Object.hasOwn(fields, "id")) {
    if (!isRequestId(fields.id)) return -1;
    count++;
  }
  if (withDeadline && Object.hasOwn(fields, "deadline")) {
    if (!isDeadline(fields.deadline)) return -1;
    count++;
  }
  return count;
}
