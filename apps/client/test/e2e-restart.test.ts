import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterSettings, createConsulClient, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runServer, startCluster, type TestCluster } from "./support/cluster.js";
import { withClient } from "./support/consul-cluster.js";
import { missingLoaded } from "./support/workload.js";

const KEYS = 1000;

/**
 * A clean restart is the most ordinary thing an operator does: once the membership has changed,
 * the placement record (not `cluster_size`) says which nodes hold the data, on every start.
 */
describe("a restarted cluster serves what it acknowledged before", () => {
  let consul: TestConsul;
  let cluster: TestCluster | undefined;
  let dataDir: string;

  beforeAll(async () => {
    consul = await startTestConsul();
    dataDir = mkdtempSync(join(tmpdir(), "zkv-restart-"));
  });
  afterAll(async () => {
    await cluster?.stop("SIGKILL");
    await consul?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("after add-node and remove-node node-0, a restart brings back node-1 and node-2 with every key", async () => {
    const durable = ["--data-dir", dataDir, "--fsync", "always"];
    cluster = await startCluster(consul.env, ["--cluster-size", "2", ...durable]);
    expect((await runCli(["load", "--count", String(KEYS)], consul.env)).code).toBe(0);
    const add = await runCli(["add-node"], consul.env);
    expect(add.code, add.stderr).toBe(0);
    const remove = await runCli(["remove-node", "node-0"], consul.env);
    expect(remove.code, remove.stderr).toBe(0);
    // The removed node's dir is moved aside: a node added later as node-0 starts empty.
    await eventually(() => !existsSync(join(dataDir, "node-0")), 20_000);
    expect(readdirSync(dataDir).filter((d) => d.startsWith("node-0.removed-"))).toHaveLength(1);
    expect(await cluster.stop("SIGTERM")).toBe(0);
    await eventually(async () => (await listMembers(consul.config)).length === 0, 20_000);

    cluster = await startCluster(consul.env, durable); // the same flags, without --cluster-size
    const record = (await new ClusterSettings(consul.config).placementRecord()).record!;
    expect(record.members.map((m) => m.id)).toEqual(["node-1", "node-2"]);
    expect(record.epoch).toBe(2);
    await eventually(async () =>
      (await listMembers(consul.config)).every((m) => m.health === "passing" && m.id !== "node-0"),
    );
    expect(await withClient({ consul: consul.config }, (client) => missingLoaded(client, KEYS))).toEqual([]);
  });

  it("refuses flags that contradict the stored cluster (exit 4), and starts nothing", async () => {
    const size = await runServer(["--cluster-size", "5"], consul.env);
    expect([size.code, size.stderr]).toEqual([
      4,
      expect.stringContaining("--cluster-size 5 (it has 2 members)"),
    ]);
    const hrw = await runServer(["--hashing", "hrw"], consul.env);
    expect([hrw.code, hrw.stderr]).toEqual([4, expect.stringContaining("--hashing hrw (it uses ring)")]);
    expect((await listMembers(consul.config)).map((m) => m.id).sort()).toEqual(["node-1", "node-2"]);
  });

  it("refuses a second launcher against the same Consul, naming the running cluster (exit 4)", async () => {
    const second = await runServer([], consul.env);
    expect([second.code, second.stderr]).toEqual([
      4,
      expect.stringMatching(/CLUSTER_RUNNING.*node-1 at 127\.0\.0\.1:/),
    ]);
    // The first cluster keeps serving.
    expect(await withClient({ consul: consul.config }, (client) => client.get("key-7"))).toBe("value-7");
  });

  it("refuses a cluster whose ports another process holds, naming them (exit 4)", async () => {
    const elsewhere = await startTestConsul();
    try {
      const record = (await new ClusterSettings(consul.config).placementRecord()).record!;
      const port = record.members[0]!.port; // held by the running cluster's node-1
      const clash = await runServer(["--cluster-size", "1", "--base-port", String(port)], elsewhere.env);
      expect([clash.code, clash.stderr]).toEqual([4, expect.stringContaining(`PORT_IN_USE: port ${port}`)]);
    } finally {
      await elsewhere.stop();
    }
  });

  it("a SIGKILLed launcher takes its nodes with it, so the next start serves every key", async () => {
    const old = cluster!;
    old.child.kill("SIGKILL"); // only the launcher: its nodes must notice on their own
    // Nodes shut down cleanly (they deregister), instead of holding the ports as orphans.
    await eventually(async () => (await listMembers(consul.config)).length === 0, 20_000);
    await old.stop("SIGKILL");
    // A removed node that died without deregistering (its process group SIGKILLed): critical.
    await createConsulClient(consul.managementConfig).agent.service.register({
      name: "zkv",
      id: "zkv-node-9",
      port: 1,
      meta: { node_id: "node-9", weight: "1" },
      check: { ttl: "10s" },
    } as never);
    cluster = await startCluster(consul.env, ["--data-dir", dataDir, "--fsync", "always"]);
    // The launcher clears it: the placement does not name node-9.
    expect((await listMembers(consul.config)).map((m) => m.id).sort()).toEqual(["node-1", "node-2"]);
    expect(await withClient({ consul: consul.config }, (client) => missingLoaded(client, KEYS))).toEqual([]);
  });

  it("--reset is refused while the cluster runs or its data dirs hold keys, and then seeds a new cluster", async () => {
    const durable = ["--data-dir", dataDir, "--fsync", "always"];
    const running = await runServer(["--reset", "--cluster-size", "3", ...durable], consul.env);
    expect([running.code, running.stderr]).toEqual([4, expect.stringContaining("CLUSTER_RUNNING")]);
    expect(await cluster!.stop("SIGTERM")).toBe(0);
    await eventually(async () => (await listMembers(consul.config)).length === 0, 20_000);
    const orphans = await runServer(["--reset", "--cluster-size", "3", ...durable], consul.env);
    expect([orphans.code, orphans.stderr]).toEqual([
      4,
      expect.stringMatching(/DATA_WOULD_BE_ORPHANED.*node-1: \d+ keys, node-2: \d+ keys/),
    ]);
    for (const id of ["node-1", "node-2"]) rmSync(join(dataDir, id), { recursive: true }); // the operator's choice
    cluster = await startCluster(consul.env, ["--reset", "--cluster-size", "3", ...durable]);
    const record = (await new ClusterSettings(consul.config).placementRecord()).record!;
    expect(record.members.map((m) => m.id)).toEqual(["node-0", "node-1", "node-2"]);
    expect(record.epoch).toBe(3); // on from the old epoch, so no node can take it for older news
  });
});
