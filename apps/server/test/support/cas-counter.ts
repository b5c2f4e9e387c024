import { expect } from "vitest";

// Concurrent writers adding 1 to a counter with read-version-then-CAS, as the CAS tests run them.

/** A few turns of the event loop's microtask queue: where another writer can get in. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** What one writer's read-version-then-CAS loop saw: every attempt and whether it won. */
export interface Attempt {
  readonly expected: number | "absent";
  readonly won: boolean;
}

/**
 * W writers each add 1 to a counter with read-version-then-CAS, retrying on CONFLICT. With a
 * correct CAS every increment lands exactly once (the final count is W), and no two attempts
 * that expected the same version both win.
 */
export function checkCounter(attempts: readonly Attempt[], writers: number, final: string | undefined): void {
  expect(final).toBe(String(writers));
  const winners = new Map<string, number>();
  for (const a of attempts)
    if (a.won) winners.set(String(a.expected), (winners.get(String(a.expected)) ?? 0) + 1);
  for (const count of winners.values()) expect(count).toBe(1);
  expect([...winners.values()].reduce((x, y) => x + y, 0)).toBe(writers);
}
