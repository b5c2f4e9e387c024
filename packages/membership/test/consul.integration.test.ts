import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClusterSettings,
  ConsulUnavailableError,
  createConsulClient,
  listMembers,
  type Member,
  MembershipWatcher,
  NodeRegistration,
  REPLICA_STATE_META,
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

  it("after Consul was out of reach, catches up before passing its check again, and stays critical while it cannot", async () => {
    const calls: number[] = [];
    let catchUpFails = true;
    const reg = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-7",
      address: "127.0.0.1",
      port: 2007,
      ttlSeconds: 1,
      requestTimeoutMs: 300,
      catchUp: async () => {
        calls.push(Date.now());
        if (catchUpFails) throw new Error("the placement could not be read yet");
      },
    });
    const health = async () => (await listMembers(consul.config)).find((m) => m.id === "node-7")?.health;
    await reg.start();
    await new Promise((r) => setTimeout(r, 800));
    expect(calls).toEqual([]); // a heartbeat that never failed catches nothing up

    consul.pause();
    try {
      await new Promise((r) => setTimeout(r, 1500)); // heartbeats time out meanwhile
    } finally {
      consul.resume();
    }
    // Consul is back, but the node could not catch up: its check lapses and stays critical. (A
    // heartbeat sent into the paused agent is answered on resume and may pass the check once
    // more, for one TTL: wait that out before watching.)
    await eventually(() => calls.length >= 2, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const seen: Array<string | undefined> = [];
    for (let i = 0; i < 5; i++) {
      seen.push(await health());
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(seen).toEqual(Array(5).fill("critical"));
    // Caught up: passing again.
    catchUpFails = false;
    await eventually(async () => (await health()) === "passing", 10_000);
    const settled = calls.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls.length).toBe(settled); // and no more catching up while healthy
    await reg.close();
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
