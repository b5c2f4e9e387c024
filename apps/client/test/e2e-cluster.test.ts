import { createPlacement } from "@zkv/hashring";
import { ClusterSettings, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

const KEYS = 10_000;

describe.each(["ring", "hrw"] as const)("a %s cluster launched from cluster_size = 4", (hashing) => {
  let consul: TestConsul;
  let cluster: TestCluster | undefined;
  let client: ZkvClient | undefined;

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(4);
    cluster = await startCluster(consul.env, ["--hashing", hashing]);
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
    await consul?.stop();
  });

  it("registers node-0..node-3 on base-port+i, all passing, and stores the hashing in Consul", async () => {
    // Waits out a node briefly missing from Consul right after "ready" under heavy load (session 4 note).
    await eventually(
      async () => (await listMembers(consul.config)).filter((m) => m.health === "passing").length === 4,
      30_000,
    );
    const members = await listMembers(consul.config);
    expect(members.map((m) => [m.id, m.port, m.health])).toEqual(
      [0, 1, 2, 3].map((i) => [`node-${i}`, cluster!.basePort + i, "passing"]),
    );
    expect(await new ClusterSettings(consul.config).hashing()).toBe(hashing);
  });

  it(`loads ${KEYS} keys with the CLI; every node holds exactly the keys the placement gives it`, async () => {
    const load = await runCli(["load", "--count", String(KEYS), "--json"], consul.env);
    expect(load.code, load.stderr).toBe(0);
    const result = JSON.parse(load.stdout) as {
      written: number;
      perNode: Record<string, number>;
      hashing: string;
    };
    expect(result.written).toBe(KEYS);
    expect(result.hashing).toBe(hashing);

    client = await ZkvClient.connect({ consul: consul.config });
    const placement = createPlacement(
      hashing,
      client.members.map((m) => m.id),
    );
    const expected = new Map<string, string[]>(client.members.map((m) => [m.id, []]));
    for (let i = 0; i < KEYS; i++) expected.get(placement.locate(`key-${i}`))!.push(`key-${i}`);
    for (const m of client.members) {
      const held: string[] = [];
      for await (const kv of client.scanNode(m.id, 1000)) held.push(kv.key);
      expect(held.sort()).toEqual(expected.get(m.id)!.sort());
      expect(result.perNode[m.id]).toBe(held.length);
    }
  });

  it("`zkv nodes` shows every member desired, live and passing, with its key count from STATS", async () => {
    const nodes = await runCli(["nodes", "--json"], consul.env);
    expect(nodes.code, nodes.stderr).toBe(0);
    const view = JSON.parse(nodes.stdout) as {
      hashing: string;
      members: Array<{
        id: string;
        desired: string;
        live: boolean;
        health: string;
        stats: { keys: number; bytes: number };
      }>;
    };
    expect(view.hashing).toBe(hashing);
    expect(view.members.map((m) => [m.id, m.desired, m.live, m.health])).toEqual(
      [0, 1, 2, 3].map((i) => [`node-${i}`, "member", true, "passing"]),
    );
    expect(view.members.reduce((n, m) => n + m.stats.keys, 0)).toBe(KEYS);
    for (const m of view.members) expect(m.stats.bytes).toBeGreaterThan(m.stats.keys * 10);
  });

  it("answers every GET_ONE with its value", async () => {
    const c = client ?? (await ZkvClient.connect({ consul: consul.config }));
    const wrong: string[] = [];
    for (let start = 0; start < KEYS; start += 500) {
      const batch = Array.from({ length: Math.min(500, KEYS - start) }, (_, j) => start + j);
      const values = await Promise.all(batch.map((i) => c.get(`key-${i}`)));
      for (const [j, v] of values.entries()) {
        if (v !== `value-${batch[j]}`) wrong.push(`key-${batch[j]}=${v}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("`zkv all` streams exactly the keys that were loaded, in order", async () => {
    const all = await runCli(["all"], consul.env);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(KEYS);
    const keys = lines.map((l) => l.split("\t")[0]!);
    expect(new Set(keys).size).toBe(KEYS);
    expect([...keys].sort()).toEqual(keys);
    expect(lines).toContain("key-1234\tvalue-1234");
  });

  it("stops on SIGTERM with exit 0 and leaves no zkv service registered", async () => {
    await client?.close();
    expect(await cluster!.stop("SIGTERM")).toBe(0);
    cluster = undefined;
    expect(await listMembers(consul.config)).toEqual([]);
  });
});
