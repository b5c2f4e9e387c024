import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { createPlacement, planRebalance } from "@zkv/hashring";
import {
  ClusterSettings,
  type ConsulConfig,
  ConsulLock,
  listMembers,
  type PlacementRecord,
  ProgressPublisher,
  type RebalanceProgress,
} from "@zkv/membership";
import { ZkvClient } from "../client.js";
import type { ClientCurve } from "../security.js";
import { eventuallyTrue } from "../wait.js";
import { finishMove, type MoveResult, moveData } from "./mover.js";
import { type MembershipChange, nextMembers, RebalanceError, sameChange } from "./plan.js";
import { ProgressReporter, type RunEvent } from "./progress.js";
import { moveReplicas, trimReplicas } from "./replica-mover.js";

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
  const lock = await ConsulLock.acquire(options.consul, holder, options.lockWaitMs ?? 0);
  const publisher = new ProgressPublisher(options.consul);
  let reporter: ProgressReporter | undefined;
  try {
    const { record, resumed } = await startTransition(settings, options.change);
    const t = record.transition!;
    reporter = new ProgressReporter(t, publisher, options.onReport);
    const onProgress = (p: RunEvent) => {
      reporter?.update(p);
      options.onProgress?.(p);
    };
    if (t.kind === "add") {
      onProgress({ phase: "waiting-for-node", node: t.node });
      const joined = await eventuallyTrue(async () => {
        const m = (await listMembers(options.consul)).find((x) => x.id === t.node);
        return m?.health === "passing";
      }, options.joinTimeoutMs ?? 60_000);
      if (!joined)
        throw new RebalanceError(
          "NODE_NOT_READY",
          `${t.node} did not register and pass its health check; is the launcher running?`,
        );
    }
    const hashing = await settings.hashing();
    const client = await ZkvClient.connect({
      consul: options.consul,
      timeoutMs: 30_000,
      ...(options.curve ? { curve: options.curve } : {}),
    });
    try {
      await eventuallyTrue(
        () => [...record.members, ...t.next].every((n) => client.members.some((m) => m.id === n.id)),
        10_000,
      );
      // One copy per key: move primaries with fences; several: hand replicas off, trim after.
      const replicated = client.replication.n > 1;
      const moved = await (replicated ? moveReplicas : moveData)(client, record, hashing, onProgress);
      const epoch = record.epoch + 1;
      // With replicas, a member that is down (being replaced) is left out: it holds nothing others lack.
      const nodes = [...new Set([...record.members, ...t.next].map((n) => n.id))].filter(
        (id) => !replicated || client.members.some((m) => m.id === id && m.health !== "critical"),
      );
      await finishMove(client, nodes, t.run, epoch, {
        hashing,
        members: t.next.map((n) => ({ id: n.id, weight: n.weight })),
      });
      const done: PlacementRecord = { version: 1, epoch, members: t.next };
      const { index } = await settings.placementRecord();
      if (!(await settings.writePlacement(done, index)))
        throw new Error("the placement record changed under the lock");
      if (replicated)
        await trimReplicas(
          client,
          t.next.map((n) => n.id),
        );
      await reporter.done(moved);
      return { ...moved, kind: t.kind, node: t.node, resumed, epoch, seconds: (Date.now() - started) / 1000 };
    } finally {
      client.close();
    }
  } catch (err) {
    await reporter?.failed(err);
    throw err;
  } finally {
    publisher.close();
    await lock.release();
  }
}

/** Writes the transition into the placement record, or adopts the unfinished one it matches. */
async function startTransition(settings: ClusterSettings, change: MembershipChange) {
  const stored = await settings.placementRecord();
  const current = stored.record ?? (await settings.placement());
  if (!current) throw new RebalanceError("NO_CLUSTER", "no cluster: cluster_size is not set in Consul");
  const run = randomUUID();
  if (current.transition) {
    if (!sameChange(current, change)) {
      const t = current.transition;
      throw new RebalanceError(
        "REBALANCE_IN_PROGRESS",
        `an unfinished rebalance is recorded (${t.kind} ${t.node}); run \`zkv ${t.kind}-node ${t.kind === "add" ? `--id ${t.node}` : t.node}\` to finish it first`,
      );
    }
    const record = { ...current, transition: { ...current.transition, run } };
    if (!(await settings.writePlacement(record, stored.index)))
      throw new Error("the placement record changed under the lock");
    return { record, resumed: true };
  }
  const { node, next } = nextMembers(current, change);
  const record: PlacementRecord = {
    ...current,
    transition: { kind: change.kind, node, run, next, startedAt: new Date().toISOString() },
  };
  if (!(await settings.writePlacement(record, stored.index)))
    throw new Error("the placement record changed under the lock");
  return { record, resumed: false };
}

/** A dry run: how many keys would move where, without changing anything. */
export async function planOnly(consul: ConsulConfig, change: MembershipChange, curve?: ClientCurve) {
  const settings = new ClusterSettings(consul);
  const current = await settings.placement();
  if (!current) throw new RebalanceError("NO_CLUSTER", "no cluster: cluster_size is not set in Consul");
  const { node, next } = current.transition
    ? { node: current.transition.node, next: current.transition.next }
    : nextMembers(current, change);
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
    client.close();
  }
}
