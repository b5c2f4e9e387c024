import type { Placement } from "@zkv/hashring";
import type { ZkvClient } from "../../src/lib/requests/client.js";
import { keyFor, random, valueFor } from "./keys.js";

/**
 * BATCH messages in flight while loading. (IMPORT straight into each owner was the fast path until
 * nodes started refusing an IMPORT outside a rebalance run; putMany is the supported bulk write.)
 */
const LOAD_WINDOW = 16;
/** Random keys read back after the move. */
export const SPOT_CHECKS = 1000;

/**
 * Writes every key with putMany (BATCH messages of PUTs grouped by owner, LOAD_WINDOW in flight)
 * and returns how many keys each node should now hold.
 */
export async function load(
  client: ZkvClient,
  placement: Placement,
  keys: number,
): Promise<Map<string, number>> {
  const counts = new Map(placement.nodes.map((n) => [n, 0]));
  function* entries(): Generator<readonly [string, string]> {
    for (let i = 0; i < keys; i++) {
      const key = keyFor(i);
      const node = placement.locate(key);
      counts.set(node, counts.get(node)! + 1);
      yield [key, valueFor(i)];
    }
  }
  await client.putMany(entries(), undefined, LOAD_WINDOW);
  return counts;
}

/**
 * Entries each node holds, counted by paging through GET_ALL on all nodes at once; also how long
 * that took, to compare with the rebalance's own scan (which pages one node after the other).
 */
export async function countNodes(
  client: ZkvClient,
  nodes: readonly string[],
): Promise<{ counts: Map<string, number>; seconds: number }> {
  const started = performance.now();
  const counts = await Promise.all(
    nodes.map(async (n) => {
      let count = 0;
      for await (const _ of client.scanNode(n, 10_000)) count++;
      return [n, count] as const;
    }),
  );
  return { counts: new Map(counts), seconds: (performance.now() - started) / 1000 };
}

/** GETs `samples` random keys through the client (following redirects); returns how many matched. */
export async function spotCheck(client: ZkvClient, keys: number, samples: number): Promise<number> {
  const next = random(0x5eed);
  const picks = Array.from({ length: samples }, () => Math.floor(next() * keys));
  let ok = 0;
  const failures: string[] = [];
  for (let start = 0; start < picks.length; start += 100) {
    await Promise.all(
      picks.slice(start, start + 100).map(async (i) => {
        try {
          const value = await client.get(keyFor(i));
          if (value === valueFor(i)) ok++;
          else failures.push(`${keyFor(i)}: ${value === undefined ? "not found" : "wrong value"}`);
        } catch (err) {
          failures.push(`${keyFor(i)}: ${(err as Error).message}`);
        }
      }),
    );
  }
  for (const f of failures.slice(0, 5)) console.log(`  spot check failed: ${f}`);
  return ok;
}
