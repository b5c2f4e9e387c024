import { ErrorCode, errorCodeOf, type RepairReply } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";
import { withRetries } from "../lib/retry/with-retries.js";

/** A repair that cannot start; `code` is stable for scripts and tests (and picks the exit code). */
export class RepairError extends Error {
  constructor(
    readonly code: "UNKNOWN_NODE",
    message: string,
  ) {
    super(message);
    this.name = "RepairError";
  }
}

/**
 * How long one REPAIR may take: a node works on one for at most 10 s before answering `more`, but
 * may first finish a background comparison it had started.
 */
const REPAIR_TIMEOUT_MS = 120_000;
/**
 * How long a pair answering TRY_AGAIN is asked again: a node bootstrapping after a restart (it
 * gives up on a replica that stays down after 15 s), or a rebalance or change of n just ending.
 */
const TRY_AGAIN_PATIENCE_MS = 60_000;

/** Two nodes to compare: `node` runs the comparison, both end with the newest copies. */
export type NodePair = readonly [node: string, peer: string];

/**
 * The node pairs one `zkv repair` compares. With `node`, that node with each other member (every
 * range it replicates, with each co-replica). Without, every pair of members once (a comparison
 * repairs both sides, so the other direction would find nothing), run by the first in UTF-16
 * order. Pairs that share no range cost one round trip and report 0 ranges.
 */
export function repairPairs(members: readonly string[], node?: string): NodePair[] {
  const ids = [...new Set(members)].sort();
  if (node !== undefined) {
    if (!ids.includes(node)) {
      throw new RepairError(
        "UNKNOWN_NODE",
        `${node} is not a member of the cluster (members: ${ids.join(", ")})`,
      );
    }
    return ids.filter((m) => m !== node).map((peer) => [node, peer] as const);
  }
  return ids.flatMap((a, i) => ids.slice(i + 1).map((b) => [a, b] as const));
}

/** What one pair's comparison found and did, or why it failed. */
export interface PairOutcome {
  readonly node: string;
  readonly peer: string;
  readonly ranges: number;
  readonly different: number;
  readonly repaired: number;
  readonly bytes: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Every pair's outcome and their totals. */
export interface RepairSummary {
  readonly pairs: PairOutcome[];
  readonly ranges: number;
  readonly different: number;
  readonly repaired: number;
  readonly bytes: number;
  readonly failed: number;
  readonly seconds: number;
}

/**
 * Runs one repair pass over `pairs`, one pair after another: REPAIR to the pair's node, again
 * while it answers `more`. A pair that answers TRY_AGAIN is asked again for up to a minute
 * (`onWait` is told why, once per pair); a pair that fails otherwise, or for longer, is reported
 * and the others still run. `onPair` is told how many pairs are done.
 */
export async function runRepair(
  client: ZkvClient,
  pairs: readonly NodePair[],
  onPair?: (done: number) => void,
  onWait?: (message: string) => void,
): Promise<RepairSummary> {
  const started = performance.now();
  const outcomes: PairOutcome[] = [];
  for (const [node, peer] of pairs) {
    const done = { ranges: 0, different: 0, repaired: 0, bytes: 0 };
    try {
      await withRetries(() => comparePair(client, node, peer, done), {
        patienceMs: TRY_AGAIN_PATIENCE_MS,
        retryIf: (err) => errorCodeOf(err) === ErrorCode.TRY_AGAIN,
        onFirstRetry: (err) =>
          onWait?.(`${node} with ${peer}: ${(err as Error).message}; waiting (up to 60 s)`),
      });
      outcomes.push({ node, peer, ...done });
    } catch (err) {
      const code = errorCodeOf(err) ?? "FAILURE";
      outcomes.push({ node, peer, ...done, error: { code, message: (err as Error).message } });
    }
    onPair?.(outcomes.length);
  }
  const sum = (f: (o: PairOutcome) => number) => outcomes.reduce((total, o) => total + f(o), 0);
  return {
    pairs: outcomes,
    ranges: sum((o) => o.ranges),
    different: sum((o) => o.different),
    repaired: sum((o) => o.repaired),
    bytes: sum((o) => o.bytes),
    failed: outcomes.filter((o) => o.error).length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** REPAIR to `node` with `peer`, again while it answers `more`, adding what it did to `done`. */
async function comparePair(
  client: ZkvClient,
  node: string,
  peer: string,
  done: { ranges: number; different: number; repaired: number; bytes: number },
): Promise<void> {
  for (let first = true; ; first = false) {
    const reply = (await client.request(node, { op: "REPAIR", peer }, REPAIR_TIMEOUT_MS)) as RepairReply;
    if (first) done.ranges = reply.ranges; // later requests compare the same ranges again
    done.different += reply.different;
    done.repaired += reply.repaired;
    done.bytes += reply.bytes;
    if (reply.more !== true) return;
  }
}
