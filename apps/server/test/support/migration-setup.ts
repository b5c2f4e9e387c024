import type { MovedEntry } from "@zkv/protocol";
import { Migration } from "../../src/cluster/migration.js";
import { MemoryStore } from "../../src/store/index.js";
import { next } from "./pinned-ring.js";

// A Migration on node a moving towards the hand-pinned `next` (pinned-ring.ts): keys 101..200
// leave a, others stay.

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Moved entries without their versions (every write has one now; these tests are about which keys move). */
export function bare(entries: readonly MovedEntry[]): MovedEntry[] {
  return entries.map((e) => ("value" in e ? { key: e.key, value: e.value } : e));
}

/** A store holding `entries`, a manual clock, and run-1's Migration on node a over that clock. */
export function setup(entries: Record<string, string> = {}) {
  const clock = manualClock();
  const store = new MemoryStore();
  for (const [k, v] of Object.entries(entries)) store.put(k, v);
  const m = new Migration("run-1", next, "a", clock.now);
  return { clock, store, m };
}
