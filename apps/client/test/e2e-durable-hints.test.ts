import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@zkv/membership/testing";
import { ErrorCode, type ReplicaGetReply, type StatsReply, type ZkvError } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { type ConsulTestCluster, startReplicatedCluster } from "./support/cluster.js";

const NODES = ["node-0", "node-1", "node-2"];
const COORDINATOR = "node-0";
const FROZEN = "node-2";

/** `count` keys with `prefix` whose owner, so whose coordinator, is `node`. */
function keysOn(client: ZkvClient, node: string, prefix: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (client.ownerOf(`${prefix}-${i}`) === node) keys.push(`${prefix}-${i}`);
  return keys;
}

async function stats(client: ZkvClient, node: string): Promise<StatsReply> {
  return (await client.request(node, { op: "STATS" })) as StatsReply;
}

/** How many of `keys` node `node` holds with the value the test wrote, read on that node alone. */
async function held(client: ZkvClient, node: string, keys: readonly string[]): Promise<number> {
  const reply = (await client.request(node, { op: "REPLICA_GET", keys: [...keys] })) as ReplicaGetReply;
  return reply.entries.filter((e, i) => e.value === `v-${keys[i]}`).length;
}

/**
 * Hints that outlive their coordinator: a replica frozen (SIGSTOP) misses writes that the other
 * two acknowledge (w = 2), the coordinator is SIGKILLed before it could hand them over, and the
 * launcher restarts it from its data dir. Once the replica resumes, every key reaches it with no
 * read at all (no read repair): only the coordinator's stored hints can have brought them.
 */
describe("durable hints (3 nodes, n=3, --data-dir)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "zkv-hints-"));
  let replicated: ConsulTestCluster | undefined;

  beforeAll(async () => {
    replicated = await startReplicatedCluster(3, 3, ["--ttl", "2", "--data-dir", dataDir]);
  });
  afterAll(async () => {
    await replicated?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a coordinator SIGKILLed with hints pending delivers them after its restart, without any read", async () => {
    const { consul, cluster } = replicated!;
    const client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 5000 });
    const keys = keysOn(client, COORDINATOR, "hinted", 300);
    const probes = keysOn(client, COORDINATOR, "probe", 100);
    /** A write needing all three replicas, sent to the coordinator itself (no failover). */
    const strictPut = () =>
      client.request(COORDINATOR, { op: "PUT", key: probes.shift()!, value: "probe", w: 3 });
    // First the coordinator must count both others serving (under load a replica may still be
    // bootstrapping a moment after the cluster is up, and a write then refused with
    // NOT_ENOUGH_REPLICAS would go to another coordinator, which would keep the hints).
    await eventually(() => strictPut().then(() => true), 60_000);
    const frozen = cluster.nodePid(FROZEN);
    process.kill(frozen, "SIGSTOP");
    try {
      // The coordinator knows the replica is down once a write needing all three is refused
      // before anything is sent (NOT_ENOUGH_REPLICAS, not a timeout): from then on it hints the
      // replica without sending, so no copy can wait in the frozen process's socket buffer.
      await eventually(async () => {
        const failure = (await strictPut().catch((e: unknown) => e)) as ZkvError;
        return failure?.code === ErrorCode.NOT_ENOUGH_REPLICAS;
      }, 30_000);
      await client.putMany(keys.map((k) => [k, `v-${k}`] as const)); // acknowledged by node-0 and node-1
      // An acknowledged write is durable, and its hint with it (one commit).
      expect((await stats(client, COORDINATOR)).hints?.[FROZEN]).toBeGreaterThanOrEqual(keys.length);
      expect(await held(client, "node-1", keys)).toBe(keys.length);

      const killed = cluster.nodePid(COORDINATOR);
      process.kill(killed, "SIGKILL");
      // The launcher restarts it from its data dir; it comes back with the hints it had.
      const back = await eventually(async () => {
        if (cluster.nodePid(COORDINATOR) === killed) return undefined;
        const s = await stats(client, COORDINATOR);
        return s.state === "serving" ? s : undefined;
      }, 60_000);
      expect(back?.hints?.[FROZEN]).toBeGreaterThanOrEqual(keys.length);
    } finally {
      process.kill(frozen, "SIGCONT");
    }

    await eventually(async () => (await held(client, FROZEN, keys)) === keys.length, 60_000);
    for (const node of NODES) expect(await held(client, node, keys)).toBe(keys.length);
    await eventually(async () => (await stats(client, COORDINATOR)).hints?.[FROZEN] === undefined, 30_000);
    await client.close();
  });
});
