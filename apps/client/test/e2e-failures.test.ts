import { ClusterSettings, deregisterNode, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { ErrorCode, ZkvError } from "@zkv/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

/** A key that `nodeId` owns, and one it does not. */
function keysOf(client: ZkvClient, nodeId: string): { mine: string; other: string } {
  let mine: string | undefined;
  let other: string | undefined;
  for (let i = 0; !(mine && other); i++) {
    const key = `probe-${i}`;
    if (client.locate(key).id === nodeId) mine ??= key;
    else other ??= key;
  }
  return { mine, other };
}

describe("failures", () => {
  let consul: TestConsul;
  let cluster: TestCluster;
  let client: ZkvClient | undefined;

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(4);
    // A short TTL so "critical" is reached in seconds, as a test can afford.
    cluster = await startCluster(consul.env, ["--ttl", "2"]);
    // Under load a node has been seen missing from Consul for a few seconds just after "ready"
    // (a CI run of 2026-12-07: node-0 and then node-1 absent while the tests began; also seen in
    // session 4, see e2e-installed-cli). Not what this file tests, so it waits; the cause is open.
    await eventually(
      async () => (await listMembers(consul.config)).filter((m) => m.health === "passing").length === 4,
      30_000,
    );
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });
  afterAll(async () => {
    await cluster?.stop();
    await consul?.stop();
  });

  it("a SIGKILLed node's keys fail fast with NODE_UNAVAILABLE, other keys are served, and the launcher restarts it", async () => {
    client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 5000 });
    const { mine, other } = keysOf(client, "node-1");
    await client.put(other, "still here");
    const pid = cluster!.nodePid("node-1");
    process.kill(pid, "SIGKILL");

    // Placement follows membership, not health: node-1 still owns its keys, and says so fast.
    await eventually(
      async () => {
        const started = Date.now();
        const failure = await client!.put(mine, "v").catch((e: unknown) => e);
        return (
          failure instanceof ZkvError &&
          failure.code === ErrorCode.NODE_UNAVAILABLE &&
          Date.now() - started < 1000
        );
      },
      5000,
      20,
    );
    expect(client.locate(mine).id).toBe("node-1");
    expect(await client.get(other)).toBe("still here");

    // The launcher restarts it under the same id; it registers and passes again.
    await eventually(async () => {
      const m = (await listMembers(consul.config)).find((x) => x.id === "node-1");
      return m?.health === "passing" && cluster!.nodePid("node-1") !== pid;
    }, 30_000);
    await eventually(async () => {
      await client!.put(mine, "back");
      return (await client!.get(mine)) === "back";
    }, 15_000);
  });

  it("a hung node (SIGSTOP) turns critical by TTL and its keys fail fast instead of hanging", async () => {
    client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 30_000 });
    const { mine, other } = keysOf(client, "node-2");
    const pid = cluster!.nodePid("node-2");
    process.kill(pid, "SIGSTOP");
    try {
      await eventually(
        () => client!.members.some((m) => m.id === "node-2" && m.health === "critical"),
        20_000,
      );
      // NODE_UNAVAILABLE, not TIMEOUT after the client's 30 s: it fails at once.
      const failure = await client.get(mine).catch((e: unknown) => e);
      expect((failure as ZkvError).code).toBe(ErrorCode.NODE_UNAVAILABLE);
      expect(client.locate(mine).id).toBe("node-2");
      await client.put(other, "served");
      expect(await client.get(other)).toBe("served");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await eventually(() => client!.members.some((m) => m.id === "node-2" && m.health === "passing"), 20_000);
    await client.put(mine, "ok");
    expect(await client.get(mine)).toBe("ok");
  });

  it("keeps serving reads and writes while Consul hangs, and catches up when it returns", async () => {
    client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 5000 });
    consul.pause();
    try {
      for (let i = 0; i < 200; i++) await client.put(`outage-${i}`, `v${i}`);
      for (let i = 0; i < 200; i++) expect(await client.get(`outage-${i}`)).toBe(`v${i}`);
      // Long enough for every TTL (2 s) to lapse inside the frozen agent.
      await new Promise((r) => setTimeout(r, 4000));
      for (let i = 0; i < 200; i += 10) expect(await client.get(`outage-${i}`)).toBe(`v${i}`);
    } finally {
      consul.resume();
    }
    // Membership catches up: every node passing again, and a fresh CLI sees the data.
    await eventually(async () => {
      const members = await listMembers(consul.config);
      return members.length === 4 && members.every((m) => m.health === "passing");
    }, 20_000);
    const got = await runCli(["get", "outage-7"], consul.env);
    expect(got.stdout.trim()).toBe("v7");
  });
});

describe("listing every key while a member is missing from Consul", () => {
  let consul: TestConsul;
  let cluster: TestCluster;

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(3);
    cluster = await startCluster(consul.env);
  });
  afterAll(async () => {
    await cluster?.stop();
    await consul?.stop();
  });

  it("zkv all fails with exit 69 naming the node instead of printing part of the keys", async () => {
    const load = await runCli(["load", "--count", "300"], consul.env);
    expect(load.code, load.stderr).toBe(0);
    // node-1 is still a member of the placement, but Consul no longer lists it (as right after
    // a restart, before it registers again): frozen so it cannot register itself back.
    const pid = cluster.nodePid("node-1");
    process.kill(pid, "SIGSTOP");
    try {
      await deregisterNode(consul.config, "node-1");
      await eventually(
        async () => !(await listMembers(consul.config)).some((m) => m.id === "node-1"),
        10_000,
      );
      const all = await runCli(["all"], consul.env);
      expect(all.code, `stdout had ${all.stdout.split("\n").length - 1} lines`).toBe(69);
      expect(all.stderr).toContain("node-1");
    } finally {
      process.kill(pid, "SIGCONT");
    }
  });
});
