import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listMembers, REPLICA_STATE_META } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import type { StatsReply } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { startCluster, type TestCluster } from "./support/cluster.js";
import { useConsulCluster } from "./support/consul-cluster.js";
import { repeatUntilStopped } from "./support/workload.js";

const KEYS = 3000;

/**
 * A reader of random keys until stopped, each compared with the value acknowledged for it: a
 * NOT_FOUND for a key that was acknowledged is a wrong answer (a failed read is not: it says
 * nothing about the data). Random, not in order: read repair must not be what saves the keys.
 */
function startReader(client: ZkvClient, keys: readonly string[]) {
  const notFound: string[] = [];
  let reads = 0;
  const loop = repeatUntilStopped(async () => {
    const key = keys[Math.floor(Math.random() * keys.length)]!;
    if ((await client.get(key)) === undefined) notFound.push(key);
    reads++;
  });
  return {
    notFound,
    failures: loop.failures,
    get reads() {
      return reads;
    },
    stop: loop.stop,
  };
}

/** STATS of `nodeId` if the process answering started after `since` (ms), else undefined. */
async function statsSince(client: ZkvClient, nodeId: string, since: number) {
  const stats = (await client.request(nodeId, { op: "STATS" }, 1000)) as StatsReply;
  return stats.uptimeSeconds * 1000 < Date.now() - since ? stats : undefined;
}

/** True once `nodeId` runs a process started after `since` that serves (not bootstrapping). */
async function restartedAndServing(consul: TestConsul, client: ZkvClient, nodeId: string, since: number) {
  const member = (await listMembers(consul.config)).find((m) => m.id === nodeId);
  if (member?.health !== "passing" || member.meta[REPLICA_STATE_META] === "bootstrapping") return false;
  const stats = await statsSince(client, nodeId, since);
  return stats !== undefined && stats.state !== "bootstrapping";
}

/** How many copies of each key the members hold. */
async function copiesOf(client: ZkvClient): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const m of client.members) {
    for await (const { key } of client.scanNode(m.id)) copies.set(key, (copies.get(key) ?? 0) + 1);
  }
  return copies;
}

/**
 * Defect D5: with one copy per node and no data dir, a node the launcher restarts comes back
 * empty. Killing three of four nodes one after the other (each once the previous one is back)
 * used to leave keys whose r = 2 replicas asked were both empty: NOT_FOUND, then lost for good
 * once the last copy's node restarted. A restarted node must take its keys back from the other
 * replicas before its answers count.
 */
describe("a replica that restarts empty (n=3, w=2, r=2, memory only)", () => {
  const fx = useConsulCluster({ args: ["--cluster-size", "4", "--replicas", "3", "--ttl", "2"] });

  it("loses nothing when three nodes restart empty one after another, and no read says NOT_FOUND", async () => {
    const client = await ZkvClient.connect({ consul: fx.consul.config, timeoutMs: 3000 });
    const keys = Array.from({ length: KEYS }, (_, i) => `boot-${i}`);
    await client.putMany(keys.map((k) => [k, `v-${k}`] as const));
    const reader = startReader(client, keys);
    try {
      for (const victim of ["node-0", "node-1", "node-2"]) {
        const killedAt = Date.now();
        process.kill(fx.cluster.nodePid(victim), "SIGKILL");
        await eventually(() => restartedAndServing(fx.consul, client, victim, killedAt), 60_000, 200);
      }
    } finally {
      await reader.stop();
    }

    const checker = await ZkvClient.connect({ consul: fx.consul.config, timeoutMs: 5000 });
    const values = await checker.getMany(keys);
    const lost = keys.filter((k, i) => values[i] !== `v-${k}`);
    const copies = await copiesOf(checker);
    const short = keys.filter((k) => copies.get(k) !== 3);
    console.log(
      `restart-empty test: ${reader.reads} reads, ${reader.notFound.length} NOT_FOUND, ` +
        `${lost.length} lost, ${short.length} keys on fewer than 3 nodes`,
      Object.fromEntries(reader.failures),
    );
    await checker.close();
    await client.close();
    expect(reader.notFound.slice(0, 5)).toEqual([]);
    expect(lost.slice(0, 5)).toEqual([]);
    expect(short.slice(0, 5)).toEqual([]);
  });
});

/**
 * With a data dir, a node restarted with its data serves at once; one whose disk came back empty
 * (a replaced disk: no data, no marker) bootstraps like a memory-only node.
 */
describe("a durable replica restarted whole, and one whose disk is replaced (n=3, --data-dir)", () => {
  let consul: TestConsul;
  let cluster: TestCluster;
  let dataDir: string;

  beforeAll(async () => {
    consul = await startTestConsul();
    dataDir = mkdtempSync(join(tmpdir(), "zkv-bootstrap-"));
    const args = ["--cluster-size", "4", "--replicas", "3", "--ttl", "2", "--data-dir", dataDir];
    cluster = await startCluster(consul.env, [...args, "--fsync", "always"]);
  });
  afterAll(async () => {
    await cluster?.stop();
    await consul?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves at once with its data, bootstraps with an empty disk, and every key keeps 3 copies", async () => {
    const client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 3000 });
    const keys = Array.from({ length: 2000 }, (_, i) => `disk-${i}`);
    await client.putMany(keys.map((k) => [k, `v-${k}`] as const));

    // Whole: its data dir carries the marker, so every answer of the new process says serving.
    const killedAt = Date.now();
    process.kill(cluster!.nodePid("node-1"), "SIGKILL");
    const first = await eventually(() => statsSince(client, "node-1", killedAt), 60_000, 50);
    expect(first?.state).toBe("serving");

    // Replaced: frozen, its dir removed, then killed; the launcher restarts it on an empty dir.
    const frozen = cluster!.nodePid("node-2");
    process.kill(frozen, "SIGSTOP");
    rmSync(join(dataDir, "node-2"), { recursive: true, force: true });
    const wipedAt = Date.now();
    process.kill(frozen, "SIGKILL");
    await eventually(() => restartedAndServing(consul, client, "node-2", wipedAt), 60_000, 200);
    expect(existsSync(join(dataDir, "node-2", "replicas-complete"))).toBe(true);

    const mine = keys.filter((k) => client.replicasOf(k).includes("node-2"));
    let held = 0;
    for await (const { key } of client.scanNode("node-2")) if (mine.includes(key)) held++;
    expect(held).toBe(mine.length);
    const copies = await copiesOf(client);
    expect(keys.filter((k) => copies.get(k) !== 3)).toEqual([]);
    await client.close();
  });
});
