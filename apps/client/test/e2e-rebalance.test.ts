import { createPlacement } from "@zkv/hashring";
import { ClusterSettings, ConsulLock, listMembers } from "@zkv/membership";
import { eventually } from "@zkv/membership/testing";
import { describe, expect, it } from "vitest";
import type { ZkvClient } from "../src/index.js";
import { runCli } from "./support/cluster.js";
import { useConsulCluster } from "./support/consul-cluster.js";
import { startWorkload, type WorkloadReport } from "./support/workload.js";

const PRELOAD = 5000;

interface RebalanceJson {
  kind: string;
  node: string;
  planned: number;
  moved: number;
  swept: number;
  vanished: number;
  scanned: number;
  resumed: boolean;
}

/** Every key on exactly one node, the one the placement names; returns all keys seen. */
async function assertPlacedOnce(client: ZkvClient): Promise<Map<string, string>> {
  const record = client.placementRecord!;
  const placement = createPlacement(client.hashing, record.members);
  const seen = new Map<string, string>();
  const misplaced: string[] = [];
  const duplicated: string[] = [];
  for (const m of record.members) {
    for await (const kv of client.scanNode(m.id, 10_000)) {
      if (seen.has(kv.key)) duplicated.push(kv.key);
      if (placement.locate(kv.key) !== m.id) misplaced.push(`${kv.key}@${m.id}`);
      seen.set(kv.key, kv.value);
    }
  }
  expect(duplicated).toEqual([]);
  expect(misplaced).toEqual([]);
  return seen;
}

/** No acknowledged write lost: every key holds at least its newest acknowledged value. */
function assertNothingLost(report: WorkloadReport, stored: Map<string, string>, label: string): void {
  const lost = [...report.latest].filter(([key, seq]) => Number(stored.get(key)) < seq || !stored.has(key));
  console.log(
    `${label}: ${report.acked} acknowledged writes, ${lost.length} lost; ${report.reads} reads, ${report.staleReads.length} stale`,
  );
  expect(report.acked).toBeGreaterThan(100);
  expect(lost).toEqual([]);
  expect(report.staleReads).toEqual([]);
}

describe.each(["ring", "hrw"] as const)("%s: add and remove nodes under live traffic", (hashing) => {
  const fx = useConsulCluster({ size: 4, args: ["--hashing", hashing], preload: PRELOAD, client: true });

  it("adds node-4: the launcher starts it, ~1/5 of the keys move to it, nothing acknowledged is lost", async () => {
    const workload = startWorkload(fx.client, "live-add-");
    await new Promise((r) => setTimeout(r, 300));
    const add = await runCli(["add-node", "--json"], fx.consul.env);
    const report = await workload.stop();
    expect(add.code, add.stderr).toBe(0);
    const result = JSON.parse(add.stdout) as RebalanceJson;
    expect(result).toMatchObject({ kind: "add", node: "node-4", resumed: false });
    // Exactly the keys planRebalance named moved (plus any the sweep found written meanwhile).
    expect(result.moved).toBe(result.planned - result.vanished + result.swept);
    expect(result.planned / result.scanned).toBeGreaterThan(0.2 * 0.6);
    expect(result.planned / result.scanned).toBeLessThan(0.2 * 1.4);
    await eventually(
      () =>
        fx.client.placementRecord?.members.length === 5 && fx.client.members.some((m) => m.id === "node-4"),
    );
    expect(await new ClusterSettings(fx.consul.config).clusterSize()).toBe(5);
    const stored = await assertPlacedOnce(fx.client);
    for (let i = 0; i < PRELOAD; i += 97) expect(stored.get(`key-${i}`)).toBe(`value-${i}`);
    assertNothingLost(report, stored, `${hashing} add`);
  });

  it("removes node-0: its keys move to their new owners, it deregisters and exits, nothing acknowledged is lost", async () => {
    const workload = startWorkload(fx.client, "live-remove-");
    await new Promise((r) => setTimeout(r, 300));
    const remove = await runCli(["remove-node", "node-0", "--json"], fx.consul.env);
    const report = await workload.stop();
    expect(remove.code, remove.stderr).toBe(0);
    const result = JSON.parse(remove.stdout) as RebalanceJson;
    expect(result).toMatchObject({ kind: "remove", node: "node-0" });
    expect(result.moved).toBe(result.planned - result.vanished + result.swept);
    await eventually(
      async () => !(await listMembers(fx.consul.config)).some((m) => m.id === "node-0"),
      20_000,
    );
    await eventually(() => fx.client.placementRecord?.members.length === 4);
    expect(await new ClusterSettings(fx.consul.config).clusterSize()).toBe(4);
    const stored = await assertPlacedOnce(fx.client);
    for (let i = 0; i < PRELOAD; i += 97) expect(stored.get(`key-${i}`)).toBe(`value-${i}`);
    assertNothingLost(report, stored, `${hashing} remove`);
  });
});

describe("refusals, the lock, and a killed rebalance", () => {
  const fx = useConsulCluster({ size: 3, preload: PRELOAD, client: true });

  it("refuses an unknown node, an id that exists, and a rebalance while another holds the lock (exit 4)", async () => {
    const unknown = await runCli(["remove-node", "node-9"], fx.consul.env);
    expect([unknown.code, unknown.stderr]).toEqual([4, expect.stringContaining("not a member")]);
    const dup = await runCli(["add-node", "--id", "node-1"], fx.consul.env);
    expect([dup.code, dup.stderr]).toEqual([4, expect.stringContaining("already a member")]);
    const lock = await ConsulLock.acquire(fx.consul.config, "a test holding the lock");
    try {
      const busy = await runCli(["add-node"], fx.consul.env);
      expect([busy.code, busy.stderr]).toEqual([4, expect.stringContaining("a test holding the lock")]);
    } finally {
      await lock.release();
    }
    expect((await listMembers(fx.consul.config)).map((m) => m.id)).toEqual(["node-0", "node-1", "node-2"]);
  });

  it("finishes a rebalance killed between an import and its commit when the same command runs again", async () => {
    const workload = startWorkload(fx.client, "live-kill-");
    await new Promise((r) => setTimeout(r, 300));
    const killed = await runCli(["add-node", "--id", "node-7"], {
      ...fx.consul.env,
      ZKV_FAILPOINT: "after-import:1",
    });
    expect(killed.code).toBe(null); // SIGKILLed mid-move
    const pending = await new ClusterSettings(fx.consul.config).placementRecord();
    expect(pending.record?.transition).toMatchObject({ kind: "add", node: "node-7" });
    const other = await runCli(["remove-node", "node-1"], fx.consul.env);
    expect(other.code).toBe(4); // an unfinished rebalance must be finished first
    const resumed = await runCli(["add-node", "--id", "node-7", "--wait", "30", "--json"], fx.consul.env);
    const report = await workload.stop();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ kind: "add", node: "node-7", resumed: true });
    await eventually(
      () => fx.client.placementRecord?.members.length === 4 && !fx.client.placementRecord.transition,
    );
    const stored = await assertPlacedOnce(fx.client);
    for (let i = 0; i < PRELOAD; i += 97) expect(stored.get(`key-${i}`)).toBe(`value-${i}`);
    assertNothingLost(report, stored, "killed-and-resumed add");
  });
});
