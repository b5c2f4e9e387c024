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
 * (hotKey), a delete (of a hot key or of one of its own keys), a read (of either), and a
 * compare-and-set increment of a shared counter (`cas-<j>`). Every value is unique (`c<c>.<seq>`), so a read
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
      const kind = mine.weighted({ distinct: 4, hot: 3, delete: 1, cas: 2, read: 3 });
      if (kind === "cas") await increment(client, `cas-${mine.int(0, shape.counters - 1)}`, history);
      else if (kind === "read") {
        const key =
          ownKeys.length > 0 && mine.chance(0.3)
            ? mine.pick(ownKeys)
            : hotKey(mine.int(0, shape.hotKeys - 1));
        await read(history, key, () => client.get(key));
      } else if (kind === "delete") {
        const key =
          ownKeys.length > 0 && mine.chance(0.5)
            ? mine.pick(ownKeys)
            : hotKey(mine.int(0, shape.hotKeys - 1));
        await write(history, key, undefined, () => client.delete(key));
      } else {
        const key = kind === "distinct" ? `d${c}-${seq}` : hotKey(mine.int(0, shape.hotKeys - 1));
        if (kind === "distinct") ownKeys.push(key);
        await write(history, key, value, () => client.put(key, value));
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

async function write(
  history: History,
  key: string,
  value: string | undefined,
  run: () => Promise<unknown>,
): Promise<void> {
  const op = history.invoke(key, value);
  try {
    await run();
    history.ok(op);
  } catch (err) {
    history.fail(op, codeOf(err), (err as Error).message);
    await new Promise((r) => setTimeout(r, BACKOFF_MS));
  }
}

/** A read, recorded when it succeeds: checkRunReads holds it to the writes around it. */
async function read(history: History, key: string, run: () => Promise<string | undefined>): Promise<void> {
  const invokedAt = performance.now();
  try {
    history.read(key, await run(), invokedAt);
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
