import { ErrorCode } from "@zkv/protocol";
import { type ClusterSource, ZkvClient } from "../../src/index.js";
import type { History } from "./history.js";
import type { Prng } from "./prng.js";
import type { WorkloadShape } from "./schedule.js";

/** Each client's operations are paced, so the cluster and the CLI keep some of the two cores. */
const PACE_MS = 3;
/** After a failure a client backs off a little: an outage is not a reason to spin. */
const BACKOFF_MS = 50;
/** A bound on each client's operations, whatever the schedule's length. */
const MAX_OPS_PER_CLIENT = 40_000;
/** Keys in one putMany or getMany. */
const BULK_KEYS = 8;

/**
 * Hot key j; every fourth one too long for a durable node's `data` table (over 988 UTF-16
 * units), so its writes, deletes and snapshots go the `long` table's way across restarts.
 */
const LONG_KEY_TAIL = "x".repeat(1000);
export const hotKey = (j: number): string => (j % 4 === 3 ? `hot-${j}-${LONG_KEY_TAIL}` : `hot-${j}`);

const codeOf = (err: unknown) => (err as { code?: string }).code ?? (err as Error).message ?? String(err);

/**
 * Concurrent clients, each its own ZkvClient (its own sockets and Consul watches), each looping
 * over a seeded mix until stopped: a new key (`d<c>-<i>`), an overwrite of a shared hot key
 * (hotKey), a delete (of a hot key or of one of its own keys), a read (of either), a putMany
 * of new and hot keys and a getMany of either (the bulk path), and a compare-and-set increment
 * of a shared counter (`cas-<j>`). Every value is unique (`c<c>.<seq>`), so a read
 * names the write it saw. Everything is recorded in `history`. `cluster` is where they find the
 * nodes: Consul, or (a compose stack seen from the host) a static list of published ports.
 */
export async function startClients(
  cluster: ClusterSource,
  shape: WorkloadShape,
  rng: Prng,
  history: History,
): Promise<{ readonly operations: () => number; stop(): Promise<void> }> {
  const clients = await Promise.all(
    Array.from({ length: shape.workers }, () => ZkvClient.connect({ ...cluster, timeoutMs: 3000 })),
  );
  for (let j = 0; j < shape.counters; j++) history.counter(`cas-${j}`);
  let running = true;
  let operations = 0;
  const loops = clients.map(async (client, c) => {
    const mine = rng.fork(`client-${c}`);
    const ownKeys: string[] = [];
    for (let seq = 0; running && seq < MAX_OPS_PER_CLIENT; seq++) {
      operations++;
      const value = `c${c}.${seq}`;
      const kind = mine.weighted({ distinct: 4, hot: 3, delete: 1, cas: 2, read: 3, putMany: 1, getMany: 1 });
      const hot = () => hotKey(mine.int(0, shape.hotKeys - 1));
      /** One of its own keys (with probability `own`, once it has some) or a hot key. */
      const someKey = (own: number) => (ownKeys.length > 0 && mine.chance(own) ? mine.pick(ownKeys) : hot());
      if (kind === "cas") await increment(client, `cas-${mine.int(0, shape.counters - 1)}`, history);
      else if (kind === "read") {
        const key = someKey(0.3);
        await readMany(history, [key], async () => [await client.get(key)]);
      } else if (kind === "getMany") {
        const keys = [...new Set(Array.from({ length: BULK_KEYS }, () => someKey(0.5)))];
        await readMany(history, keys, () => client.getMany(keys));
      } else if (kind === "putMany") {
        // New keys and hot ones, each once: the bulk path (BATCH) under the same faults.
        const entries = new Map<string, string>();
        for (let i = 0; i < BULK_KEYS; i++) {
          const key = mine.chance(0.5) ? `b${c}-${seq}-${i}` : hot();
          if (!entries.has(key)) entries.set(key, `${value}.${i}`);
        }
        for (const key of entries.keys()) if (key.startsWith("b")) ownKeys.push(key);
        await writeMany(history, [...entries], () => client.putMany(entries));
      } else if (kind === "delete") {
        const key = someKey(0.5);
        await writeMany(history, [[key, undefined]], () => client.delete(key));
      } else {
        const key = kind === "distinct" ? `d${c}-${seq}` : hot();
        if (kind === "distinct") ownKeys.push(key);
        await writeMany(history, [[key, value]], () => client.put(key, value));
      }
      await new Promise((r) => setTimeout(r, PACE_MS));
    }
  });
  return {
    operations: () => operations,
    async stop() {
      running = false;
      await Promise.all(loops); // each operation is bounded by the client's timeout
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/**
 * Writes (a value, or undefined: a delete), invoked together and acknowledged together by one
 * call; when it fails, each may or may not have landed.
 */
async function writeMany(
  history: History,
  entries: ReadonlyArray<readonly [string, string | undefined]>,
  run: () => Promise<unknown>,
): Promise<void> {
  const invokedAt = performance.now();
  const ops = entries.map(([key, value]) => history.invoke(key, value, invokedAt));
  try {
    await run();
    const at = performance.now();
    for (const op of ops) history.ok(op, at);
  } catch (err) {
    for (const op of ops) history.fail(op, codeOf(err), (err as Error).message);
    await new Promise((r) => setTimeout(r, BACKOFF_MS));
  }
}

/** Reads by one call, each recorded when the call succeeds: checkRunReads holds them to the writes around them. */
async function readMany(
  history: History,
  keys: readonly string[],
  run: () => Promise<ReadonlyArray<string | undefined>>,
): Promise<void> {
  const invokedAt = performance.now();
  try {
    const values = await run();
    const at = performance.now();
    for (const [i, key] of keys.entries()) history.read(key, values[i], invokedAt, at);
  } catch {
    await new Promise((r) => setTimeout(r, BACKOFF_MS));
  }
}

/**
 * One read-version-then-CAS increment. A failed read changes nothing; a CONFLICT wrote nothing;
 * any other failure of the CAS may have landed (indeterminate).
 */
async function increment(client: ZkvClient, counter: string, history: History): Promise<void> {
  let current: Awaited<ReturnType<ZkvClient["getWithVersion"]>>;
  try {
    current = await client.getWithVersion(counter);
  } catch {
    await new Promise((r) => setTimeout(r, BACKOFF_MS));
    return;
  }
  const next = String((current ? Number(current.value) : 0) + 1);
  try {
    await client.put(counter, next, current ? { ifVersion: current.version } : { ifAbsent: true });
    history.incremented(counter);
  } catch (err) {
    if (codeOf(err) === ErrorCode.CONFLICT) history.conflict();
    else {
      history.incrementFailed(counter, codeOf(err), (err as Error).message);
      await new Promise((r) => setTimeout(r, BACKOFF_MS));
    }
  }
}
