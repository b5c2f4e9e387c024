import { EmptyPlacementError, InvalidArgumentError } from "./errors.js";

/** Rejects a replica count that is not a non-negative integer, and lookups on an empty placement. */
export function checkPreferenceArgs(nodeCount: number, n: number): void {
  if (nodeCount === 0) throw new EmptyPlacementError();
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`preference list length must be a non-negative integer, got ${n}`);
  }
}
