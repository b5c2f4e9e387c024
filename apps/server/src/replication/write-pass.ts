import type { VersionedEntry, ZkvError } from "@zkv/protocol";
import { type HybridClock, isLive, type Versioned } from "../store/index.js";
import type { Hints } from "./hints.js";
import { entryOf } from "./peer-batcher.js";
import { quorumTimeout } from "./replica-errors.js";
import type { BatchWrite, ReplicatorOptions, WritePlan, WriteResult } from "./replicator-options.js";
import { SplitQuorums } from "./split-quorums.js";
import { awaitWriteQuorums } from "./write-quorums.js";

/** What a pass of writes uses of its Replicator. */
export interface WritePassContext {
  readonly o: ReplicatorOptions;
  readonly clock: HybridClock;
  readonly hints: Hints;
  /** The write plan of a key (split between placements during a move). */
  plan(key: string, w: number | undefined, replicas: readonly string[], split: boolean): WritePlan;
}

/**
 * Replicator.writeBatch: each write versioned, applied here and sent to its other replicas
 * (hints for those down), one message per peer and one quorum wait for the batch. This node's
 * copy counts toward each write's quorum, as does every replica's ack (see planWrite).
 */
export function writePass(
  ctx: WritePassContext,
  writes: readonly BatchWrite[],
  w: number | undefined,
): Promise<Array<WriteResult | ZkvError>> {
  const n = writes.length;
  const results = new Array<WriteResult | ZkvError>(n);
  const needed = new Int32Array(n);
  const asked = new Int32Array(n);
  const now = (ctx.o.now ?? Date.now)();
  const perPeer = new Map<string, { entries: VersionedEntry[]; writes: number[] }>();
  let waiting = false;
  // Keys whose replicas are the very same list share one plan (the whole batch, when every
  // member holds every key): the peers' states do not change during this synchronous loop.
  let planned: { replicas: readonly string[]; plan: WritePlan } | undefined;
  // A write whose quorum is split between two placements (during a rebalance) waits through two
  // slots past the batch's own, one per placement; its own slot needs nothing.
  const splits = new SplitQuorums(n);
  for (let i = 0; i < n; i++) {
    const { key, value, expiresAt } = writes[i]!;
    const replicas = ctx.o.replicasOf(key);
    let plan: WritePlan;
    try {
      if (planned?.replicas === replicas) plan = planned.plan;
      else {
        plan = ctx.plan(key, w, replicas, true);
        planned = { replicas, plan };
      }
    } catch (err) {
      results[i] = err as ZkvError;
      continue;
    }
    // A PUT's reply does not tell whether the key existed: only a deletion reads the held copy.
    const before = value === undefined ? ctx.o.store.copy(key) : undefined;
    const version = ctx.clock.next(before === undefined ? ctx.o.store.versionOf(key) : before.version);
    const copy: Versioned =
      value !== undefined && expiresAt !== undefined ? { value, version, expiresAt } : { value, version };
    ctx.o.store.apply(key, copy);
    for (const p of plan.others) if (!plan.up.includes(p)) ctx.hints.add(p, key);
    const entry = entryOf(key, copy); // one object for every peer: the batcher encodes it once
    const split = plan.split === undefined ? undefined : splits.add(i, plan, ctx.o.self);
    for (const p of plan.up) {
      let send = perPeer.get(p);
      if (send === undefined) {
        send = { entries: [], writes: [] };
        perPeer.set(p, send);
      }
      send.entries.push(entry);
      if (split === undefined) send.writes.push(i);
      else splits.carry(split, p, send.writes);
    }
    results[i] = { existed: isLive(before, now), version };
    needed[i] = split === undefined ? plan.needed - 1 : 0;
    asked[i] = split === undefined ? plan.up.length : 0;
    if (needed[i]! > 0 || split?.waits === true) waiting = true;
  }
  const sends = [...perPeer].map(([peer, { entries, writes: carried }]) => {
    const sent = ctx.o.batcher.replicateMany(peer, entries);
    sent.catch(() => {
      for (const e of entries) ctx.hints.add(peer, e.key);
    });
    return { sent, writes: carried };
  });
  if (!waiting) return Promise.resolve(results);
  const slots = splits.slots(needed, asked);
  return awaitWriteQuorums(sends, slots.needed, slots.asked, ctx.o.timeoutMs).then((quorums) => {
    for (let i = 0; i < n; i++) {
      if (results[i] instanceof Error) continue;
      const failed = splits.failure(i, quorums);
      if (failed !== undefined) results[i] = failed;
      else if (!quorums[i]!.ok) results[i] = quorumTimeout(1 + quorums[i]!.answered, 1 + needed[i]!);
    }
    return results;
  });
}
