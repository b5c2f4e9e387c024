import { createPlacement } from "@zkv/hashring";
import { ClusterSettings, listMembers } from "@zkv/membership";
import { eventually } from "@zkv/membership/testing";
import { describe, expect, it } from "vitest";
import type { ZkvClient } from "../src/index.js";
import { runCli, spawnCli } from "./support/cluster.js";
import { useConsulCluster } from "./support/consul-cluster.js";
import { stoppedProcess } from "./support/processes.js";
import { lostWrites, repeatUntilStopped, startWorkload } from "./support/workload.js";

/** Keys loaded before the changes (100k measured by hand for docs/operations.md; fewer here for CI). */
const PRELOAD = Number(process.env.ZKV_SET_REPLICATION_KEYS ?? 20_000);

/** Keys held by a node other than exactly their `n` replicas: `key: held by …, placed on …`. */
async function misplaced(client: ZkvClient, n: number): Promise<string[]> {
  const record = client.placementRecord!;
  const placement = createPlacement(client.hashing, record.members);
  const holders = new Map<string, string[]>();
  for (const m of record.members) {
    for await (const { key } of client.scanNode(m.id, 5000)) {
      const list = holders.get(key) ?? [];
      list.push(m.id);
      holders.set(key, list);
    }
  }
  const wrong: string[] = [];
  for (const [key, held] of holders) {
    const placed = placement.preferenceList(key, n);
    if (held.length !== n || placed.some((p) => !held.includes(p)))
      wrong.push(`${key}: held by ${held.sort().join(",")}, placed on ${placed.sort().join(",")}`);
  }
  return wrong;
}

/**
 * misplaced(), asked again for up to 5 s while it finds keys: a write that failed (unacknowledged)
 * may hold a copy on one replica while its coordinator's hint for the other is replayed, every
 * half second. A copy lost for good (a hint dropped with its key) stays misplaced past that.
 */
async function settledMisplaced(client: ZkvClient, n: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const wrong = await misplaced(client, n);
    if (wrong.length === 0 || Date.now() > deadline) return wrong;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Keys of `zkv load` and of `expected` that do not read back with their value (quorum reads, in bulk). */
async function unreadable(
  client: ZkvClient,
  expected: ReadonlyMap<string, string> = new Map(),
): Promise<string[]> {
  const wanted = new Map(expected);
  for (let i = 0; i < PRELOAD; i++) wanted.set(`key-${i}`, `value-${i}`);
  const keys = [...wanted.keys()];
  // A read that times out on a busy machine says nothing about what is stored: try again.
  const values = await eventually(() => client.getMany(keys), 60_000);
  return keys.filter((key, i) => values[i] !== wanted.get(key));
}

/** Writers of distinct keys, each remembered once acknowledged (Jepsen's set workload). */
function startAdders(client: ZkvClient, prefix: string) {
  const acked = new Map<string, string>();
  const loop = repeatUntilStopped(async (w, i) => {
    await client.put(`${prefix}-${w}-${i}`, `v${i}`);
    acked.set(`${prefix}-${w}-${i}`, `v${i}`);
  }, 3);
  return { acked, failures: loop.failures, stop: loop.stop };
}

/** `zkv set-replication` with `args`, under an overwriting workload and adders; what they saw. */
async function changeUnderLoad(
  client: ZkvClient,
  env: Record<string, string>,
  args: string[],
  prefix: string,
) {
  const workload = startWorkload(client, `${prefix}-w-`);
  const adders = startAdders(client, `${prefix}-a`);
  let outcome: Awaited<ReturnType<typeof runCli>>;
  try {
    await new Promise((r) => setTimeout(r, 300));
    outcome = await runCli(["set-replication", ...args, "--json"], env);
  } finally {
    await adders.stop();
  }
  const report = await workload.stop();
  return { outcome, report, adders };
}

/**
 * The scenario: a loaded 4-node cluster with one copy of each key goes to three under
 * concurrent writers and readers, then back to two. Afterwards every key is on exactly its
 * replicas, nothing acknowledged is lost, and no read went back in time during either change.
 */
describe("set-replication (4 nodes, n=1 → 3 → 2)", () => {
  const fx = useConsulCluster({ size: 4, preload: PRELOAD, client: true });

  it("refuses what cannot be: more copies than members, quorums that do not overlap (exit 4)", async () => {
    const tooMany = await runCli(["set-replication", "5"], fx.consul.env);
    expect(tooMany.code, tooMany.stderr).toBe(4);
    expect(tooMany.stderr).toContain("the cluster has 4");
    const apart = await runCli(
      ["set-replication", "3", "--write-quorum", "1", "--read-quorum", "1"],
      fx.consul.env,
    );
    expect(apart.code, apart.stderr).toBe(4);
    const over = await runCli(["set-replication", "2", "--write-quorum", "3"], fx.consul.env);
    expect(over.code, over.stderr).toBe(4);
    const plan = await runCli(["set-replication", "3", "--plan", "--json"], fx.consul.env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      from: { n: 1 },
      to: { n: 3, w: 2, r: 2 },
      keys: PRELOAD,
      copiesAdded: 2 * PRELOAD,
      writeQuorumDuringChange: 3,
    });
    expect((await new ClusterSettings(fx.consul.config).replication()).n).toBe(1);
  });

  it("raises n to 3 while clients write and read: every key on exactly its 3 replicas, nothing lost", async () => {
    const { outcome, report, adders } = await changeUnderLoad(fx.client, fx.consul.env, ["3"], "up");
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ from: { n: 1 }, to: { n: 3, w: 2, r: 2 } });
    console.log(`n=1 → 3: ${outcome.stdout}; workload ${report.acked} acked, ${adders.acked.size} added`);
    expect(report.staleReads).toEqual([]);
    expect(report.acked + adders.acked.size).toBeGreaterThan(100);
    expect(fx.client.replication).toEqual({ n: 3, w: 2, r: 2 });
    expect(await settledMisplaced(fx.client, 3)).toEqual([]);
    expect(await unreadable(fx.client, adders.acked)).toEqual([]);
    expect(await lostWrites(fx.client, report.latest)).toEqual([]);
  });

  it("lowers n to 2 while clients write and read: the third copies are trimmed, nothing lost", async () => {
    const { outcome, report, adders } = await changeUnderLoad(fx.client, fx.consul.env, ["2"], "down");
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ from: { n: 3 }, to: { n: 2, w: 2, r: 2 } });
    expect(report.staleReads).toEqual([]);
    expect(fx.client.replication).toEqual({ n: 2, w: 2, r: 2 });
    expect(await settledMisplaced(fx.client, 2)).toEqual([]);
    expect(await unreadable(fx.client, adders.acked)).toEqual([]);
    expect(await lostWrites(fx.client, report.latest)).toEqual([]);
    const again = await runCli(["set-replication", "2", "--json"], fx.consul.env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ unchanged: true });
  });

  it("a run killed after copying, or after committing, is finished by the same command", async () => {
    const env = fx.consul.env;
    const killed = await runCli(["set-replication", "3"], {
      ...env,
      ZKV_FAILPOINT: "after-replication-copy:1",
    });
    expect(killed.code).toBe(null); // SIGKILLed with every key copied and the setting not yet moved on
    const stored = (await new ClusterSettings(fx.consul.config).replicationRecord()).record;
    expect(stored).toMatchObject({ n: 2, change: { phase: "copying", next: { n: 3 } } });
    const other = await runCli(["set-replication", "4"], env);
    expect(other.code, other.stderr).toBe(4); // another change is recorded: finish it first
    const resumed = await runCli(["set-replication", "3", "--json"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumed: true, to: { n: 3 } });
    expect(await misplaced(fx.client, 3)).toEqual([]);

    const committed = await runCli(["set-replication", "2"], {
      ...env,
      ZKV_FAILPOINT: "after-replication-commit:1",
    });
    expect(committed.code).toBe(null);
    // The new setting is the cluster's, its trim not done: the extra copies are still there.
    expect(await new ClusterSettings(fx.consul.config).replication()).toEqual({ n: 2, w: 2, r: 2 });
    const finished = await runCli(["set-replication", "2", "--json"], env);
    expect(finished.code, finished.stderr).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ resumed: true, unchanged: false });
    expect((await new ClusterSettings(fx.consul.config).replicationRecord()).record.completed?.finished).toBe(
      true,
    );
    expect(await misplaced(fx.client, 2)).toEqual([]);
    expect(await unreadable(fx.client)).toEqual([]);
  });

  // Its waits are each bounded, but a CI run once spent the whole 120 s in them with no word of
  // where: the first run is stopped after 90 s and what it printed is shown, and the chain of
  // waits after it (up to 30 + 60 + 30 s) has room.
  it("Consul paused just before the commit: the run waits it out or a re-run finishes it", {
    timeout: 300_000,
  }, async () => {
    const workload = startWorkload(fx.client, "pause-");
    const cli = spawnCli(["set-replication", "3"], {
      ...fx.consul.env,
      ZKV_FAILPOINT: "before-replication-commit:1:stop",
    });
    const pid = await eventually(() => stoppedProcess("set-replication 3"), 60_000);
    fx.consul.pause();
    process.kill(pid as number, "SIGCONT");
    await new Promise((r) => setTimeout(r, 12_000));
    fx.consul.resume();
    const stuck = setTimeout(() => cli.child.kill("SIGKILL"), 90_000);
    const first = await cli.outcome.finally(() => clearTimeout(stuck));
    const report = await workload.stop();
    expect([0, 69], `${first.signal ?? "exited"}: ${first.stderr}`).toContain(first.code);
    await eventually(
      async () => (await listMembers(fx.consul.config)).every((m) => m.health === "passing"),
      30_000,
    );
    const again = await runCli(["set-replication", "3", "--wait", "30", "--json"], fx.consul.env);
    expect(again.code, again.stderr).toBe(0);
    await eventually(() => fx.client.members.every((m) => m.health === "passing"), 30_000);
    expect(await settledMisplaced(fx.client, 3)).toEqual([]);
    expect(await lostWrites(fx.client, report.latest)).toEqual([]);
  });
});
