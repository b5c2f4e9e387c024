import { createPlacement, type Placement, planRebalance } from "@zkv/hashring";
import type { HashingMode, PlacementRecord } from "@zkv/membership";
import type { MigrateCountReply, MigrateFetchReply, MovedEntry } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";
import { adminRequest, retriedLikeAdmin } from "./admin-request.js";
import { failpoint } from "./failpoint.js";
import { announce } from "./migration.js";

/** Keys fetched, imported and committed per round trip. */
const BATCH_KEYS = 2000;
/** Batches in flight at once, across all (from, to) pairs. */
const CONCURRENCY = 4;

/** Where the move is: for a progress bar and for logs. */
export interface MoveProgress {
  readonly phase: "scanning" | "moving" | "sweeping";
  readonly done: number;
  readonly total: number;
}

/** What moved where. */
export interface MoveResult {
  /** Keys planRebalance named. */
  readonly planned: number;
  /** Entries (values and deletions) that arrived at their new owner. */
  readonly moved: number;
  /** Entries the final sweep found that the plan had not named (writes racing the scan). */
  readonly swept: number;
  /**
   * Planned keys that were gone when their batch was fetched (deleted or expired after the
   * listing): `moved` = `planned` − `vanished` + `swept`.
   */
  readonly vanished: number;
  /** Keys held by the nodes when they were scanned. */
  readonly scanned: number;
  readonly transfers: ReadonlyArray<{ from: string; to: string; keys: number }>;
}

/**
 * Moves the data of one transition: tells every node where keys are going, lists the keys,
 * asks planRebalance which move, and moves them copy → verify → delete in batches (fetch fences
 * the batch on its old owner, import stores it on the new one, commit deletes it from the old
 * one only after the import was acknowledged). A final sweep moves anything written in between.
 * Every step is idempotent, so a run killed anywhere is finished by running it again.
 */
export async function moveData(
  client: ZkvClient,
  record: PlacementRecord,
  hashing: HashingMode,
  onProgress: (p: MoveProgress) => void = () => {},
): Promise<MoveResult> {
  const t = record.transition;
  if (!t) throw new Error("no transition to move data for");
  const current = createPlacement(hashing, record.members);
  const next = createPlacement(hashing, t.next);
  await announce(client, record, hashing);

  // Every node is listed at once: one at a time left the nodes idle most of the read.
  let scanned = 0;
  const perNode = await Promise.all(
    record.members.map(async (m) => {
      const held = await retriedLikeAdmin(async () => {
        const keys: string[] = [];
        for await (const kv of client.scanNode(m.id, 10_000)) keys.push(kv.key);
        return keys;
      });
      scanned += held.length;
      onProgress({ phase: "scanning", done: scanned, total: scanned });
      return held;
    }),
  );
  const keys = perNode.flat();
  const plan = planRebalance(current, next, keys);
  const planned = plan.reduce((n, p) => n + p.keys.length, 0);
  onProgress({ phase: "moving", done: 0, total: planned }); // the total is known before the first batch

  let moved = 0;
  let done = 0;
  const batches = plan.flatMap((p) =>
    chunk(p.keys, BATCH_KEYS).map((keys) => ({ from: p.from, to: p.to, keys })),
  );
  await runConcurrently(batches, CONCURRENCY, async (b) => {
    const n = await moveKeys(client, t.run, b.from, b.to, b.keys);
    moved += n; // after the await: `moved += await …` would read a stale total
    done += b.keys.length;
    onProgress({ phase: "moving", done, total: planned });
  });

  const swept = await sweep(
    client,
    t.run,
    record.members.map((m) => m.id),
    next,
    onProgress,
  );
  return {
    planned,
    moved: moved + swept,
    swept,
    vanished: planned - moved,
    scanned: keys.length,
    transfers: plan.map((p) => ({ from: p.from, to: p.to, keys: p.keys.length })),
  };
}

/** Fetch (fence) → import → commit for one batch of keys; returns the entries moved. */
async function moveKeys(
  client: ZkvClient,
  run: string,
  from: string,
  to: string,
  keys: readonly string[],
): Promise<number> {
  let moved = 0;
  for (let offset = 0; offset < keys.length; ) {
    const fetched = (await adminRequest(client, from, {
      op: "MIGRATE_FETCH",
      run,
      keys: keys.slice(offset),
    })) as MigrateFetchReply;
    if (fetched.fetched === 0) throw new Error(`${from} made no progress fetching keys`);
    offset += fetched.fetched;
    moved += await transfer(client, run, from, to, fetched.entries);
  }
  return moved;
}

async function transfer(
  client: ZkvClient,
  run: string,
  from: string,
  to: string,
  entries: readonly MovedEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const imported = (await adminRequest(client, to, {
    op: "IMPORT",
    run,
    entries: [...entries],
  })) as MigrateCountReply;
  if (imported.count !== entries.length)
    throw new Error(`${to} acknowledged ${imported.count} of ${entries.length} entries`);
  failpoint("after-import");
  await adminRequest(client, from, { op: "MIGRATE_COMMIT", run, keys: entries.map((e) => e.key) });
  failpoint("after-commit");
  return entries.length;
}

/** Moves whatever the sources still hold that belongs elsewhere, until nothing is left. */
async function sweep(
  client: ZkvClient,
  run: string,
  sources: readonly string[],
  next: Placement,
  onProgress: (p: MoveProgress) => void,
): Promise<number> {
  let swept = 0;
  for (const from of sources) {
    for (;;) {
      const reply = (await adminRequest(client, from, {
        op: "MIGRATE_FETCH",
        run,
        sweep: true,
        limit: BATCH_KEYS,
      })) as MigrateFetchReply;
      if (reply.entries.length === 0) break;
      const byOwner = new Map<string, MovedEntry[]>();
      for (const e of reply.entries) {
        const owner = next.locate(e.key);
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), e]);
      }
      for (const [to, entries] of byOwner) {
        const n = await transfer(client, run, from, to, entries);
        swept += n;
      }
      onProgress({ phase: "sweeping", done: swept, total: swept });
    }
  }
  return swept;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function runConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
