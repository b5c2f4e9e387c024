import { hostname } from "node:os";
import {
  ClusterSettings,
  type ConsulConfig,
  effectiveReplication,
  type RebalanceProgress,
  type Replication,
  type ReplicationRecord,
} from "@zkv/membership";
import type { StatsReply } from "@zkv/protocol";
import type { ClientCurve } from "../lib/cluster/security.js";
import type { ZkvClient } from "../lib/requests/client.js";
import { adminRequest } from "./admin-request.js";
import { failpoint } from "./failpoint.js";
import { lockedRun } from "./locked-run.js";
import { RebalanceError } from "./plan.js";
import { ProgressReporter, type RunEvent } from "./progress.js";
import { withClient } from "./rebalance.js";
import { handOffAll, trimReplicas } from "./replica-mover.js";
import {
  commitReplication,
  markReplicationFinished,
  startReading,
  startReplicationChange,
} from "./replication-transition.js";
import { waitAdopted } from "./setting-adoption.js";

/** What `zkv set-replication N [--write-quorum W] [--read-quorum R]` asks for. */
export interface ReplicationTarget {
  readonly n: number;
  readonly w?: number;
  readonly r?: number;
}

export interface SetReplicationOptions {
  readonly consul: ConsulConfig;
  readonly target: ReplicationTarget;
  readonly curve?: ClientCurve;
  /** How long to wait for another run's lock (a killed run's session expires within 10 s). */
  readonly lockWaitMs?: number;
  readonly onProgress?: (p: RunEvent) => void;
  /** The run's report at every event, as it is published (throttled) to Consul KV. */
  readonly onReport?: (p: RebalanceProgress) => void;
  /** Something the run is waiting out (a node catching up, a Consul outage), for the user. */
  readonly onWait?: (message: string) => void;
}

export interface SetReplicationResult {
  readonly from: Replication;
  readonly to: Replication;
  /** The target was the setting already: nothing ran. */
  readonly unchanged: boolean;
  readonly resumed: boolean;
  /** Keys the nodes went through, and the copies they sent to other replicas. */
  readonly scanned: number;
  readonly copied: number;
  /** Copies the nodes dropped because the new setting no longer places them there. */
  readonly trimmed: number;
  readonly seconds: number;
}

/**
 * The target with majority quorums filled in, or RebalanceError (exit 4) when the quorums
 * exceed n or do not overlap (r + w ≤ n: a read could miss an acknowledged write).
 */
export function targetSetting({ n, w, r }: ReplicationTarget): Replication {
  const majority = Math.floor(n / 2) + 1;
  const s = { n, w: w ?? majority, r: r ?? majority };
  if (![s.n, s.w, s.r].every((x) => Number.isSafeInteger(x) && x >= 1))
    throw new RebalanceError(
      "BAD_QUORUMS",
      `n, w and r must be positive integers (n=${n} w=${s.w} r=${s.r})`,
    );
  if (s.w > s.n || s.r > s.n)
    throw new RebalanceError("BAD_QUORUMS", `w=${s.w} and r=${s.r} cannot exceed n=${s.n}`);
  if (s.r + s.w <= s.n)
    throw new RebalanceError(
      "BAD_QUORUMS",
      `r + w must exceed n (${s.r} + ${s.w} ≤ ${s.n}): a read could miss an acknowledged write`,
    );
  return s;
}

/**
 * Changes the replication factor of a running cluster, nothing lost and every key served
 * throughout. Under the rebalance lock it records the change in `zkv/replication` (nodes and
 * clients follow it): while `copying`, writes reach the old and the new replicas and reads keep
 * the old setting, and each key's old replicas hand it to its replicas under the new one; then
 * reads move to the new setting (`reading`); then the new setting is committed, and only then
 * are the copies it no longer places trimmed. Each step waits until every node has taken up the
 * previous one, and is idempotent: a run killed anywhere is finished by the same command.
 */
export async function setReplication(options: SetReplicationOptions): Promise<SetReplicationResult> {
  const started = Date.now();
  const target = targetSetting(options.target);
  const settings = new ClusterSettings(options.consul);
  const holder = `set-replication n=${target.n} by pid ${process.pid}@${hostname()} since ${new Date().toISOString()}`;
  return lockedRun(options.consul, holder, options.lockWaitMs ?? 0, async (run) => {
    const members = await membersFor(settings, target);
    const start = await startReplicationChange(settings, target);
    const { n, w, r } = start.record;
    const from = { n, w, r };
    const result = { from, to: target, resumed: start.kind !== "change" || start.resumed };
    if (start.kind === "unchanged") {
      return { ...result, unchanged: true, scanned: 0, copied: 0, trimmed: 0, seconds: 0 };
    }
    const onWait = options.onWait ?? (() => {});
    return await withClient(options, async (client) => {
      let record = start.record;
      let moved = { scanned: 0, pushed: 0 };
      if (start.kind === "change") {
        run.reporter = new ProgressReporter(
          { run: record.change!.run, kind: "set-replication", node: `n=${target.n}` },
          run.publisher,
          options.onReport,
        );
        const onProgress = (p: RunEvent) => {
          run.reporter?.update(p);
          options.onProgress?.(p);
        };
        if (record.change!.phase === "copying") {
          await waitAdopted(client, members, effectiveReplication(record).tag!, onWait);
          moved = await handOffAll(client, members, effectiveReplication(record).tag!, onProgress);
          failpoint("after-replication-copy");
          record = await startReading(settings, record);
        }
        await waitAdopted(client, members, effectiveReplication(record).tag!, onWait);
        failpoint("before-replication-commit");
        record = await commitReplication(settings, record, (err) =>
          onWait(`waiting for Consul to record the new setting (${err.message})`),
        );
        failpoint("after-replication-commit");
      }
      const trimmed = await trimUnplaced(client, settings, record, members, onWait);
      await run.reporter?.done({ planned: moved.pushed, swept: 0, scanned: moved.scanned });
      const seconds = (Date.now() - started) / 1000;
      return {
        ...result,
        unchanged: false,
        scanned: moved.scanned,
        copied: moved.pushed,
        trimmed,
        seconds,
      };
    });
  });
}

/**
 * Once every node follows the committed setting, each drops the copies it no longer holds a
 * place for (when n fell), and the record notes the change as finished.
 */
async function trimUnplaced(
  client: ZkvClient,
  settings: ClusterSettings,
  record: ReplicationRecord,
  members: readonly string[],
  onWait: (message: string) => void,
): Promise<number> {
  await waitAdopted(client, members, effectiveReplication(record).tag!, onWait);
  const trimmed = await trimReplicas(client, members);
  await markReplicationFinished(settings, record);
  return trimmed;
}

/** The members, or a refusal: no cluster, a rebalance under way, fewer members than copies. */
async function membersFor(settings: ClusterSettings, target: Replication): Promise<string[]> {
  const placement = await settings.placement();
  if (!placement) throw new RebalanceError("NO_CLUSTER", "no cluster: cluster_size is not set in Consul");
  const t = placement.transition;
  if (t) {
    throw new RebalanceError(
      "REBALANCE_IN_PROGRESS",
      `an unfinished rebalance is recorded (${t.kind} ${t.node}); run \`zkv ${t.kind}-node ${t.kind === "add" ? `--id ${t.node}` : t.node}\` to finish it first`,
    );
  }
  if (placement.members.length < target.n) {
    throw new RebalanceError(
      "TOO_FEW_NODES",
      `n=${target.n} copies of each key need ${target.n} members; the cluster has ${placement.members.length} ` +
        "(add nodes first with zkv add-node)",
    );
  }
  return placement.members.map((m) => m.id);
}

/**
 * A dry run: the setting now and after, the keys the cluster holds (the nodes' key counts over
 * the copies each key has), the copies the change would add or trim, and the write quorum that
 * applies while it runs (the old and the new replicas must all hold a write).
 */
export async function planReplication(consul: ConsulConfig, wanted: ReplicationTarget, curve?: ClientCurve) {
  const target = targetSetting(wanted);
  const settings = new ClusterSettings(consul);
  const members = await membersFor(settings, target);
  const { record } = await settings.replicationRecord();
  return withClient({ consul, ...(curve ? { curve } : {}) }, async (client) => {
    const counts = await Promise.all(
      members.map((id) => adminRequest(client, id, { op: "STATS" }).then((s) => (s as StatsReply).keys)),
    );
    const keys = Math.round(counts.reduce((a, b) => a + b, 0) / record.n);
    const during = effectiveReplication({
      ...record,
      change: { run: "plan", phase: "copying", next: target, startedAt: "" },
    });
    return {
      from: { n: record.n, w: record.w, r: record.r },
      to: target,
      ...(record.change ? { unfinished: record.change } : {}),
      keys,
      copiesAdded: keys * Math.max(0, target.n - record.n),
      copiesTrimmed: keys * Math.max(0, record.n - target.n),
      writeQuorumDuringChange: during.w,
    };
  });
}
