import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClusterSettings,
  ConsulLock,
  ConsulUnavailableError,
  createConsulClient,
  initialPlacement,
  listMembers,
  type Member,
  MembershipWatcher,
  NodeRegistration,
  ProgressPublisher,
  REBALANCE_PROGRESS_KEY,
  REPLICA_STATE_META,
  type RebalanceProgress,
  watchRebalanceProgress,
} from "../src/index.js";
import { eventually, startTestConsul, type TestConsul } from "../src/testing/index.js";

/** Resolves with the first value the watcher pushes that satisfies `predicate`. */
function nextMatching(watcher: MembershipWatcher, predicate: (m: Member[]) => boolean): Promise<Member[]> {
  return new Promise((resolve) => {
    const onChange = (members: Member[]) => {
      if (!predicate(members)) return;
      watcher.off("change", onChange);
      resolve(members);
    };
    watcher.on("change", onChange);
  });
}

let consul: TestConsul;
beforeAll(async () => {
  consul = await startTestConsul();
});
afterAll(async () => {
  await consul?.stop();
});

describe("the throwaway agent harness", () => {
  it("runs a real agent: TTL-checked service is healthy, cluster_size round-trips, deregister removes it", async () => {
    // A service other than zkv: only the operator's token may register it.
    const client = createConsulClient(consul.managementConfig);
    await client.agent.service.register({
      name: "harness-probe",
      id: "harness-probe-1",
      port: 1234,
      check: { checkid: "probe-ttl", name: "probe", ttl: "30s" },
    } as never);
    await client.agent.check.pass("probe-ttl");
    const healthy = await eventually(async () => {
      const entries = (await client.health.service({ service: "harness-probe", passing: true })) as unknown[];
      return entries.length === 1 ? entries : undefined;
    });
    expect(healthy).toHaveLength(1);

    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(4);
    expect(await settings.clusterSize()).toBe(4);
    expect(await settings.get("cluster_size")).toBe("4");

    await client.agent.service.deregister("harness-probe-1");
    await eventually(async () => ((await client.health.service("harness-probe")) as unknown[]).length === 0);
  });
});

describe("node registration and membership push", () => {
  it("pushes a join, a critical health flip and a leave, each once", async () => {
    const watcher = new MembershipWatcher({ consul: consul.config, waitSeconds: 5 });
    const seen: Member[][] = [];
    watcher.on("change", (m) => seen.push(m));
    expect(await watcher.start()).toEqual([]);

    const reg = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-7",
      address: "127.0.0.1",
      port: 2007,
    });
    const joined = nextMatching(watcher, (m) => m.some((x) => x.id === "node-7" && x.health === "passing"));
    await reg.start();
    const [member] = await joined;
    expect(member).toMatchObject({ id: "node-7", address: "127.0.0.1", port: 2007, weight: 1 });

    // A hung node: registered the way a node is, then never passes its 1 s TTL again.
    const client = createConsulClient(consul.config);
    const passing = nextMatching(watcher, (m) => m.some((x) => x.id === "node-6" && x.health === "passing"));
    await client.agent.service.register({
      name: "zkv",
      id: "zkv-node-6",
      port: 2006,
      meta: { node_id: "node-6", weight: "1" },
      check: { checkid: "service:zkv-node-6", name: "hb", ttl: "1s" },
    } as never);
    await client.agent.check.pass("service:zkv-node-6");
    await passing;
    await nextMatching(watcher, (m) => m.some((x) => x.id === "node-6" && x.health === "critical"));
    // Critical members stay members: placement follows membership, not health.
    expect((await listMembers(consul.config)).map((m) => [m.id, m.health])).toEqual([
      ["node-6", "critical"],
      ["node-7", "passing"],
    ]);

    const left = nextMatching(watcher, (m) => m.length === 0);
    await reg.close();
    await client.agent.service.deregister("zkv-node-6");
    await left;
    watcher.close();

    // De-duplicated: no push repeats the state before it (Consul's index moves on more often).
    const fingerprints = seen.map((m) => JSON.stringify(m));
    expect(fingerprints.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < fingerprints.length; i++) expect(fingerprints[i]).not.toBe(fingerprints[i - 1]);
  });

  it("pushes a meta change (bootstrapping, then serving) and the node stays passing throughout", async () => {
    const watcher = new MembershipWatcher({ consul: consul.config, waitSeconds: 5 });
    const seen: Member[][] = [];
    watcher.on("change", (m) => seen.push(m));
    await watcher.start();
    const reg = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-9",
      address: "127.0.0.1",
      port: 2009,
      meta: { metrics_port: "9009", [REPLICA_STATE_META]: "bootstrapping" },
    });
    const node9 = (m: Member[]) => m.find((x) => x.id === "node-9");
    const stateOf = (m: Member[]) => node9(m)?.meta[REPLICA_STATE_META];
    const joined = nextMatching(
      watcher,
      (m) => stateOf(m) === "bootstrapping" && node9(m)?.health === "passing",
    );
    await reg.start();
    await joined;
    seen.length = 0;
    const serving = nextMatching(watcher, (m) => stateOf(m) === "serving");
    await reg.updateMeta({ [REPLICA_STATE_META]: "serving" });
    const [member] = (await serving).filter((x) => x.id === "node-9");
    expect(member?.meta).toMatchObject({ metrics_port: "9009", node_id: "node-9" });
    expect(seen.map((m) => node9(m)?.health)).not.toContain("critical");
    await reg.close();
    watcher.close();
  });

  it("keeps the last known membership while Consul hangs, and catches up when it returns", async () => {
    const watcher = new MembershipWatcher({ consul: consul.config, waitSeconds: 2 });
    await watcher.start();
    const reg = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-8",
      address: "127.0.0.1",
      port: 2008,
    });
    const joined = nextMatching(watcher, (m) => m.some((x) => x.id === "node-8"));
    await reg.start();
    await joined;

    consul.pause();
    try {
      await expect(listMembers(consul.config, 500)).rejects.toBeInstanceOf(ConsulUnavailableError);
      await eventually(() => !watcher.reachable, 15_000);
      expect(watcher.current()?.map((m) => m.id)).toContain("node-8");
    } finally {
      consul.resume();
    }
    const left = nextMatching(watcher, (m) => !m.some((x) => x.id === "node-8"));
    await reg.close();
    await left;
    expect(watcher.reachable).toBe(true);
    watcher.close();
  });

  it("registers again after the agent lost its state (agent restart)", async () => {
    const reg = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-9",
      address: "127.0.0.1",
      port: 2009,
      ttlSeconds: 1,
    });
    await reg.start();
    await consul.restart();
    await eventually(async () =>
      (await listMembers(consul.config)).some((m) => m.id === "node-9" && m.health === "passing"),
    );
    await reg.close();
    expect(await listMembers(consul.config)).toEqual([]);
  });
});

describe("cluster settings", () => {
  it("defaults hashing to ring, stores hrw, and pushes KV changes", async () => {
    const settings = new ClusterSettings(consul.config);
    expect(await settings.hashing()).toBe("ring");
    const watch = settings.watchKey("zkv/hashing");
    expect(await watch.start()).toBeUndefined();
    const pushed = new Promise((resolve) => watch.once("change", resolve));
    await settings.setHashing("hrw");
    expect(await pushed).toBe("hrw");
    expect(await settings.hashing()).toBe("hrw");
    watch.close();
  });
});

describe("placement record and rebalance lock", () => {
  it("derives the initial placement from cluster_size, then CAS-writes records and keeps cluster_size true", async () => {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(3);
    expect((await settings.placement())?.members.map((m) => [m.id, m.port])).toEqual([
      ["node-0", 2000],
      ["node-1", 2001],
      ["node-2", 2002],
    ]);
    const { record, index } = await settings.placementRecord();
    expect([record, index]).toEqual([undefined, 0]);
    const next = initialPlacement(4);
    expect(await settings.writePlacement(next, 0)).toBe(true);
    expect(await settings.writePlacement(next, 0)).toBe(false); // already exists: CAS refuses
    const stored = await settings.placementRecord();
    expect(stored.record).toEqual(next);
    expect(await settings.clusterSize()).toBe(4);
    expect(await settings.writePlacement({ ...next, epoch: 1 }, stored.index)).toBe(true);
  });

  it("lets one holder at a time take the lock, and frees it on release", async () => {
    const first = await ConsulLock.acquire(consul.config, "first");
    await expect(ConsulLock.acquire(consul.config, "second")).rejects.toMatchObject({
      code: "LOCK_HELD",
      holder: "first",
    });
    await first.release();
    const second = await ConsulLock.acquire(consul.config, "second");
    await second.release();
    await second.release();
  });

  it("takes over at once the lock of a holder on this machine that was killed", async () => {
    // A real holder process, SIGKILLed while it holds the lock: its session would take Consul
    // 20–35 s to expire.
    const script = `import { ConsulLock } from ${JSON.stringify(new URL("../src/index.ts", import.meta.url).pathname)};
      await ConsulLock.acquire(${JSON.stringify(consul.config)}, "doomed"); console.log("held"); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    await expect(ConsulLock.acquire(consul.config, "while alive")).rejects.toMatchObject({
      holder: "doomed",
    });
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    const next = await ConsulLock.acquire(consul.config, "next"); // no wait
    await next.release();
  });
});

describe("rebalance progress reports", () => {
  const report = (moved: number): RebalanceProgress => ({
    version: 1,
    run: "run-1",
    kind: "add",
    node: "node-4",
    phase: moved === 100 ? "done" : "moving",
    planned: 100,
    moved,
    swept: 0,
    scanned: 500,
    rate: 10,
    startedAt: 1,
    updatedAt: 1 + moved,
    holder: "test",
  });

  it("writes the first report at once, a burst as one more write per interval, and the last on flush()", async () => {
    const watch = watchRebalanceProgress(consul.config);
    expect(await watch.start()).toBeUndefined();
    const seen: Array<number | undefined> = [];
    watch.on("change", (p) => seen.push(p?.moved));
    const publisher = new ProgressPublisher(consul.config, { intervalMs: 60_000 });
    try {
      for (let moved = 1; moved <= 99; moved++) publisher.publish(report(moved));
      await eventually(() => seen.length === 1);
      // An interval of a minute: everything after the first waits for it, or for flush().
      publisher.publish(report(100));
      await publisher.flush();
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([1, 100]);
      expect(watch.current()).toEqual(report(100));
    } finally {
      publisher.close();
      watch.close();
    }
  });

  it("shows a report it cannot read as none, and keeps watching", async () => {
    const settings = new ClusterSettings(consul.config);
    await settings.set(REBALANCE_PROGRESS_KEY, "{not json");
    const watch = watchRebalanceProgress(consul.config);
    try {
      expect(await watch.start()).toBeUndefined();
      await settings.set(REBALANCE_PROGRESS_KEY, JSON.stringify(report(7)));
      await eventually(() => watch.current()?.moved === 7);
    } finally {
      watch.close();
    }
  });
});
