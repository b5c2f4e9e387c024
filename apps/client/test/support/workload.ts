import { errorCodeOf } from "@zkv/protocol";
import type { ZkvClient } from "../../src/index.js";

/** What a workload saw: acknowledged writes, and reads that returned something older. */
export interface WorkloadReport {
  readonly acked: number;
  readonly failedWrites: number;
  /** Why writes failed: error message (digits masked) → count. */
  readonly failures: ReadonlyMap<string, number>;
  readonly reads: number;
  readonly staleReads: string[];
  /** The newest acknowledged sequence number per key. */
  readonly latest: ReadonlyMap<string, number>;
}

/**
 * A writer and a reader running until stopped: the writer overwrites `keys` keys with
 * increasing sequence numbers (`<seq>`), remembering the newest acknowledged one per key; the
 * reader checks each read returns at least the sequence acknowledged before the read began. A
 * write that fails is not acknowledged, so it may or may not land; one that succeeded must never
 * be lost or go back in time.
 */
export function startWorkload(
  client: ZkvClient,
  prefix: string,
  keys = 500,
  /** Called at once with each stale read's key and the node that acknowledged its last write. */
  onStale: (key: string, ackedBy: string | undefined) => void = () => {},
) {
  const latest = new Map<string, number>();
  const ackedBy = new Map<string, string>();
  const staleReads: string[] = [];
  let acked = 0;
  let failedWrites = 0;
  const failures = new Map<string, number>();
  let reads = 0;
  let running = true;
  const writer = (async () => {
    for (let seq = 1; running; seq++) {
      const key = `${prefix}${seq % keys}`;
      try {
        const { node } = await client.put(key, String(seq));
        latest.set(key, seq);
        ackedBy.set(key, node);
        acked++;
      } catch (err) {
        failedWrites++;
        const why = String((err as Error).message).replace(/\d+/g, "N");
        failures.set(why, (failures.get(why) ?? 0) + 1);
        // A failure can be immediate (a closed client): yield, or this loop starves the event loop.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  })();
  const reader = (async () => {
    while (running) {
      const known = [...latest.keys()];
      if (known.length === 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const key = known[Math.floor(Math.random() * known.length)]!;
      const floor = latest.get(key)!;
      try {
        const value = await client.get(key);
        reads++;
        if (value === undefined || Number(value) < floor) {
          staleReads.push(`${key}: read ${value}, acknowledged ${floor}`);
          onStale(key, ackedBy.get(key));
        }
      } catch {
        // a failed read says nothing about durability
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  })();
  return {
    /** Writes acknowledged so far, while it runs. */
    get acked(): number {
      return acked;
    },
    /** Why writes failed so far, while it runs. */
    failures: failures as ReadonlyMap<string, number>,
    /** Reads so far that returned something older than acknowledged, while it runs. */
    staleReads: staleReads as readonly string[],
    async stop(): Promise<WorkloadReport> {
      running = false;
      await Promise.all([writer, reader]);
      return { acked, failedWrites, failures, reads, staleReads, latest };
    },
  };
}

/** Keys of `zkv load --count <count>` (`key-<i>` = `value-<i>`) that do not read back as loaded. */
export async function missingLoaded(client: ZkvClient, count: number): Promise<string[]> {
  const lost: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = await client.get(`key-${i}`).catch(() => undefined);
    if (value !== `value-${i}`) lost.push(`key-${i}`);
  }
  return lost;
}

/** Acknowledged writes that no longer read back with their value or a newer one. */
export async function lostWrites(client: ZkvClient, latest: ReadonlyMap<string, number>): Promise<string[]> {
  const lost: string[] = [];
  for (const [key, seq] of latest) {
    const value = await client.get(key).catch(() => undefined);
    if (value === undefined || Number(value) < seq) lost.push(`${key}: ${value} < ${seq}`);
  }
  return lost;
}

/**
 * Runs `step` in `loops` concurrent loops, over and over, until stop(): the shape of every reader
 * and writer a test keeps busy during a fault. A step that throws is counted in `failures` by its
 * error code (its text, for an error without one), and the loop goes on.
 */
export function repeatUntilStopped(step: (loop: number, i: number) => Promise<void>, loops = 1) {
  const failures = new Map<string, number>();
  /** The first message of each code, so a run's log says why its writes failed. */
  const samples = new Map<string, string>();
  let running = true;
  const loopsDone = Array.from({ length: loops }, async (_, loop) => {
    for (let i = 0; running; i++) {
      try {
        await step(loop, i);
      } catch (err) {
        const code = errorCodeOf(err) ?? String(err);
        failures.set(code, (failures.get(code) ?? 0) + 1);
        if (!samples.has(code)) samples.set(code, (err as Error).message ?? String(err));
      }
    }
  });
  return {
    failures: failures as ReadonlyMap<string, number>,
    samples: samples as ReadonlyMap<string, string>,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loopsDone);
    },
  };
}
