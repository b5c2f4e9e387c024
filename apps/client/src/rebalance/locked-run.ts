import { type ConsulConfig, ConsulLock, ProgressPublisher } from "@zkv/membership";
import type { ProgressReporter } from "./progress.js";

/** What a run holding the rebalance lock reports through: set `reporter` once the run has one. */
export interface LockedRun {
  readonly publisher: ProgressPublisher;
  reporter: ProgressReporter | undefined;
}

/**
 * Runs `body` holding the cluster-wide rebalance lock (add-node, remove-node and set-replication
 * share it: one change at a time), with a publisher for its progress. A failure is published as
 * the run's last report before it is thrown; the lock and the publisher are released either way.
 */
export async function lockedRun<T>(
  consul: ConsulConfig,
  holder: string,
  lockWaitMs: number,
  body: (run: LockedRun) => Promise<T>,
): Promise<T> {
  const lock = await ConsulLock.acquire(consul, holder, lockWaitMs);
  const run: LockedRun = { publisher: new ProgressPublisher(consul), reporter: undefined };
  try {
    return await body(run);
  } catch (err) {
    await run.reporter?.failed(err);
    throw err;
  } finally {
    run.publisher.close();
    await lock.release();
  }
}
