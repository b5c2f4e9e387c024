import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../logger.js";

/**
 * A replicating node's state. `bootstrapping`: it started without the copies it should hold (no
 * data dir, or one never completed) and is taking them from the other replicas; it applies every
 * write and repair it is sent, and its acks count toward a write's quorum (what it keeps is real),
 * but its answers to reads count toward none. `serving`: it holds what it should (as far as its
 * replicas could tell it); its reads count too. A node only ever moves from the first to the
 * second, once per process (Cassandra's joining/normal, without the token moves).
 */
export type ReplicaState = "bootstrapping" | "serving";

/** One page of a pull: where to continue (undefined: the source is done), and copies sent. */
export interface PulledPage {
  readonly after?: string | undefined;
  readonly pushed: number;
}

/** How a bootstrapping node takes its copies from the other members. */
export interface PullOptions {
  /** Every other member of the placement: any of them may hold a copy this node should. */
  readonly sources: readonly string[];
  readonly isUp: (peer: string) => boolean;
  /**
   * False once `peer` has left the cluster (removed while this node bootstrapped): its keys were
   * handed to the members that stay, which are sources too, so it is not waited for.
   * Default: every source stays a member.
   */
  readonly isSource?: (peer: string) => boolean;
  /** Has `source` send this node its copies of the keys after `after` (one page). */
  readonly pull: (source: string, after: string | undefined) => Promise<PulledPage>;
  /** How long a source may make no progress (down, or failing) before it is given up. */
  readonly giveUpMs: number;
  /** Pause before asking a source that is down or failed again. */
  readonly retryMs: number;
  /** Told of each failed page (it is retried from where it stopped). */
  readonly onError?: (source: string, err: unknown) => void;
  /** Aborted when the node closes: the pull stops where it is. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
}

/** What the pull got: copies received per source done, the sources given up, those that left. */
export interface PullReport {
  readonly copied: ReadonlyMap<string, number>;
  readonly skipped: readonly string[];
  readonly departed: readonly string[];
}

/**
 * Pulls from every source at once, each page by page (resuming after a failure where it
 * stopped), until each is done or has made no progress for `giveUpMs`. Every source, not one per
 * key: a write acknowledged by w replicas may be on no other single one, and a replica keeps a
 * copy only if newer, so what this node ends with is the newest copy any of them had. Bounded:
 * a source that never comes back (its data lost too, its machine gone) costs `giveUpMs` once,
 * then the node serves with what the others had.
 */
export async function pullFromSources(o: PullOptions): Promise<PullReport> {
  const now = o.now ?? Date.now;
  const copied = new Map<string, number>();
  const skipped: string[] = [];
  const departed: string[] = [];
  const drain = async (source: string) => {
    let after: string | undefined;
    let count = 0;
    let progressAt = now();
    while (!o.signal?.aborted) {
      if (o.isSource?.(source) === false) {
        departed.push(source);
        return;
      }
      if (o.isUp(source)) {
        try {
          const page = await o.pull(source, after);
          count += page.pushed;
          progressAt = now();
          if (page.after === undefined) {
            copied.set(source, count);
            return;
          }
          after = page.after;
          continue;
        } catch (err) {
          o.onError?.(source, err);
        }
      }
      if (now() - progressAt >= o.giveUpMs) {
        skipped.push(source);
        return;
      }
      await delay(o.retryMs, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
    }
  };
  await Promise.all(o.sources.map(drain));
  return { copied, skipped, departed };
}

/** Logs how a bootstrap ended: what it copied from whom, and why it may serve without some copies. */
export function logPullReport(
  log: Logger,
  report: PullReport,
  sources: readonly string[],
  isServing: (peer: string) => boolean,
): void {
  // Members removed while this node bootstrapped: their keys went to the members that stay.
  const departed = report.departed.length > 0 ? { departed: report.departed } : {};
  const copied = Object.fromEntries(report.copied);
  if (report.skipped.length > 0) {
    log.warn(
      { copied, skipped: report.skipped, ...departed },
      "bootstrap gave up on replicas that stayed down: serving without their copies " +
        "(a key only they held reads stale or NOT_FOUND until they return and repair it)",
    );
  } else if (sources.length > 0 && sources.every((s) => !isServing(s))) {
    log.warn(
      { copied, ...departed },
      "bootstrapped from replicas that were all bootstrapping too: a cold start, or every copy " +
        "of this node's keys was lost with its replicas",
    );
  } else {
    log.info({ copied, ...departed }, "bootstrapped: serving");
  }
}
