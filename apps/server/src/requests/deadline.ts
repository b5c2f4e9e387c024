import { ErrorCode, ZkvError } from "@zkv/protocol";

/**
 * TIMEOUT for a write that arrived after its `deadline` (ms since the epoch), or undefined when it
 * is in time or has none. Its client gave up on it and has written since; applied now, it would
 * take a newer version than those writes and undo them (a partition that heals, TCP delivering it
 * seconds late). So nothing of it is applied.
 */
export function pastDeadline(deadline: number | undefined, now = Date.now()): ZkvError | undefined {
  if (deadline === undefined || now <= deadline) return undefined;
  return new ZkvError(
    ErrorCode.TIMEOUT,
    `arrived ${now - deadline} ms after its deadline, when its client had given up on it; nothing was applied`,
  );
}
