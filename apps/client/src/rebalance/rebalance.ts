import { hostname } from "node:os";
import { createPlacement, planRebalance } from "@zkv/hashring";
import {
  ClusterSettings,
  type ConsulConfig,
  type DesiredNode,
  listMembers,
  type PlacementRecord,
  type RebalanceProgress,
} from "@zkv/membership";
import type { ClientCurve } from "../lib/cluster/security.js";
import { ZkvClient } from "../lib/requests/client.js";
import { failpoint } from "./failpoint.js";
import { lockedRun } from "./locked-run.js";
import { finishMove } from "./migration.js";
import { type MoveResult, moveData } from "./mover.js";
import { type MembershipChange, nextMembers, RebalanceError } from "./plan.js";
import { ProgressReporter, type RunEvent } from "./progress.js";
import { moveReplicas, trimReplicas } from "./replica-mover.js";
import { commitPlacement, markFinished, rollBackJoin, startMoving, startTransition } from "./transition.js";
import { eventuallyTrue } from "./wait.js";

export interface RebalanceOptions {
  readonly consul: ConsulConfig;
  readonly change: MembershipChange;
  /** The CURVE keys to reach the nodes with, when they run CURVE. */
  readonly curve?: ClientCurve;
  /** How long to wait for a previous run's lock (a killed run's session expires within 10 s). */
  readonly lockWaitMs?: number;
  /** How long an added node may take to register and pass its health check. */
  readonly joinTimeoutMs?: number;
  readonly onProgress?: (p: RunEvent) => void;
  /**
   * The run's report at every event, as it is published (throttled) to Consul KV for other
   * processes: for a caller that shows the run itself, such as the dashboard.
   */
  readonly onReport?: (p: RebalanceProgress) => void;
  /** Something the run is waiting out (a Consul outage at the final write), for the user. */
  readonly onWait?: (message: string) => void;
}

export interface RebalanceResult extends MoveResult {
  readonly kind: "add" | "remove";
  readonly node: string;
  readonly resumed: boolean;
  readonly epoch: number;
  readonly seconds: number;
}

/**
 * Adds or removes a node with its data moved and nothing lost. Under the cluster-wide lock it
 * records the transition in Consul (the launcher is pushed an add and starts the node), moves the
 * data, then makes the new membership the cluster's in one write (a removed node sees that and
 * exits). A transition left by a killed run is resumed by the same command.
 */
export async function rebalance(options: RebalanceOptions): Promise<RebalanceResult> {
  const started = Date.now();
  const settings = new ClusterSettings(options.consul);
  const holder = `${options.change.kind} ${"id" in options.change ? (options.change.id ?? "") : ""} by pid ${process.pid}@${hostname()} since ${new Date().toISOString()}`;
  return lockedRun(options.consul, holder, options.lockWaitMs ?? 0, async (run) => {
    const copies = await settings.replicationRecord();
    const c = copies.record.change;
    if (c) {
      throw new RebalanceError(
        "REBALANCE_IN_PROGRESS",
        `an unfinished change of the replication factor to n=${c.next.n} is recorded; run \`zkv set-replication ${c.next.n}\` to finish it first`,
      );
    }
    const start = await startTransition(settings, options.change, copies.record.n);
    if (start.kind === "completed") {
      // An earlier run committed this change and died before its clean-up: finish that.
      const done = start.record;
      const c = done.completed!;
      await withClient(options, (client) => cleanUp(client, settings, done, done.members));
      const nothing = { planned: 0, moved: 0, swept: 0, vanished: 0, scanned: 0, transfers: [] };
      return { ...nothing, kind: c.kind, node: c.node, resumed: true, epoch: done.epoch, seconds: 0 };
    }
    let record = start.record;
    const t = record.transition!;
    run.reporter = new ProgressReporter(
      t,
      run.publisher,
      options.onReport,
      t.phase === "joining" ? "waiting-for-node" : "scanning",
    );
    const onProgress = (p: RunEvent) => {
      run.reporter?.update(p);
      options.onProgress?.(p);
    };
    if (t.phase === "joining") {
      onProgress({ phase: "waiting-for-node", node: t.node });
      const timeoutMs = options.joinTimeoutMs ?? 60_000;
      const joined = await eventuallyTrue(async () => {
        const m = (await listMembers(options.consul)).find((x) => x.id === t.node);
        return m?.health === "passing";
      }, timeoutMs);
      if (!joined) {
        await rollBackJoin(settings, record);
        throw new RebalanceError(
          "NODE_NOT_READY",
          `${t.node} did not register and pass its health check within ${Math.round(timeoutMs / 1000)} s ` +
            "(is the launcher running? is its port free?); the add was rolled back and the cluster serves on its old placement",
        );
      }
      record = await startMoving(settings, record);
    }
    const moving = record;
    const hashing = await settings.hashing();
    return await withClient(options, async (client) => {
      // One copy per key: move primaries with fences; several: hand replicas off, trim after.
      const replicated = client.replication.n > 1;
      // With one copy, every node involved must be reachable: right after a restart (or a Consul
      // pause) Consul shows nodes critical until their next heartbeat, and a re-run that gave up
      // at once would leave the transition for nothing. With replicas a down node is skipped.
      const usable = (m: { health: string }) => replicated || m.health !== "critical";
      await eventuallyTrue(
        () =>
          [...moving.members, ...t.next].every((n) => client.members.some((m) => m.id === n.id && usable(m))),
        30_000,
      );
      failpoint("before-move");
      const moved = await (replicated ? moveReplicas : moveData)(client, moving, hashing, onProgress);
      // The record first, then the nodes: a node must never be ahead of the record, or a re-run
      // after a failure here would find the nodes refusing its (older) epoch.
      failpoint("before-placement-write");
      const done = await commitPlacement(settings, moving, (err) =>
        options.onWait?.(`waiting for Consul to record the new placement (${err.message})`),
      );
      failpoint("after-placement-write");
      await cleanUp(client, settings, done, [...moving.members, ...t.next]);
      await run.reporter!.done(moved);
      const seconds = (Date.now() - started) / 1000;
      return { ...moved, kind: t.kind, node: t.node, resumed: start.resumed, epoch: done.epoch, seconds };
    });
  });
}

/**
 * After the record names the new placement: every live node is told at once (rather than at
 * Consul's push), extra replicas are trimmed, and the record notes the clean-up as finished.
 * Each step is idempotent, so a re-run repeats it safely.
 */
async function cleanUp(
  client: ZkvClient,
  settings: ClusterSettings,
  done: PlacementRecord,
  involved: readonly DesiredNode[],
): Promise<void> {
  const hashing = await settings.hashing();
  const members = done.members.map((m) => m.id);
  // Every member must hear it (a few tries each), even one Consul shows critical: a member still
  // in the migration keeps the copies it was told to trim. A node that left is told if it is up.
  const leaving = [...new Set(involved.map((n) => n.id))].filter(
    (id) => !members.includes(id) && client.members.some((m) => m.id === id && m.health !== "critical"),
  );
  await finishMove(client, [...members, ...leaving], new Set(members), done.completed!.run, done.epoch, {
    hashing,
    members: done.members.map((n) => ({ id: n.id, weight: n.weight })),
  });
  if (client.replication.n > 1) await trimReplicas(client, members);
  await markFinished(settings, done);
}

/** Runs `use` with a client for admin requests (long timeouts), closed after it whatever happens. */
export async function withClient<T>(
  options: { readonly consul: ConsulConfig; readonly curve?: ClientCurve },
  use: (client: ZkvClient) => Promise<T>,
): Promise<T> {
  const client = await ZkvClient.connect({
    consul: options.consul,
    timeoutMs: 30_000,
    ...(options.curve ? { curve: options.curve } : {}),
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** A dry run: how many keys would move where, without changing anything. */
export async function planOnly(consul: ConsulConfig, change: MembershipChange, curve?: ClientCurve) {
  const settings = new ClusterSettings(consul);
  const current = await settings.placement();
  if (!current) throw new RebalanceError("NO_CLUSTER", "no cluster: cluster_size is not set in Consul");
  const { node, next } = current.transition
    ? { node: current.transition.node, next: current.transition.next }
    : nextMembers(current, change, (await settings.replication()).n);
  const hashing = await settings.hashing();
  const client = await ZkvClient.connect({ consul, timeoutMs: 30_000, ...(curve ? { curve } : {}) });
  try {
    const keys: string[] = [];
    for (const m of current.members) for await (const kv of client.scanNode(m.id, 10_000)) keys.push(kv.key);
    const plan = planRebalance(
      createPlacement(hashing, current.members),
      createPlacement(hashing, next),
      keys,
    );
    return {
      kind: change.kind,
      node,
      keys: keys.length,
      moving: plan.reduce((n, p) => n + p.keys.length, 0),
      transfers: plan.map((p) => ({ from: p.from, to: p.to, keys: p.keys.length })),
    };
  } finally {
    await client.close();
  }
}
