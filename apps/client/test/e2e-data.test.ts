import { eventually } from "@zkv/membership/testing";
import { ErrorCode, ExitCode, type ReplicaGetReply, type ZkvError } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";
import { useConsulCluster } from "./support/consul-cluster.js";

/**
 * TTL, conditional writes and the memory budget, end to end: real node processes started by the
 * launcher, the real CLI and client. A static cluster (no Consul) for the CLI's view, and a
 * replicated Consul cluster for what crosses nodes.
 */
describe("data features on a static cluster (--nodes 2 --max-memory 4kb)", () => {
  let cluster: TestCluster | undefined;
  const cli = (args: string[]) =>
    runCli(["--nodes", "2", "--base-port", String(cluster!.basePort), ...args], {});

  beforeAll(async () => {
    cluster = await startCluster({}, ["--nodes", "2", "--max-memory", "4kb"]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("a key put with --ttl is served, then gone once it expires", async () => {
    // Long enough that the read after the put is served even when each CLI run takes seconds
    // on a loaded machine (with 1 s the key was sometimes gone before the first read).
    const put = await cli(["put", "--ttl", "6", "session", "alive"]);
    expect(put.code, put.stderr).toBe(0);
    const got = await cli(["get", "--version", "session"]);
    expect(got.stdout).toMatch(/^alive\nversion \d+\nexpires \d{4}-/);
    await eventually(async () => (await cli(["get", "session"])).code === ExitCode.NOT_FOUND, 30_000);
  });

  it("put --json names the node that acknowledged the write: the key's owner", async () => {
    const put = await cli(["--json", "put", "where", "here"]);
    expect(put.code, put.stderr).toBe(0);
    const owner = (JSON.parse((await cli(["--json", "locate", "where"])).stdout) as { node: string }).node;
    expect(JSON.parse(put.stdout)).toEqual({ ok: true, key: "where", node: owner });
  });

  it("put --if-absent and cas exit 5 on a conflict, and write nothing", async () => {
    const first = await cli(["put", "--if-absent", "lock", "me"]);
    expect(first.code, first.stderr).toBe(0);
    const version = Number(/OK version (\d+)/.exec(first.stdout)?.[1]);
    const again = await cli(["put", "--if-absent", "lock", "you"]);
    expect(again.code).toBe(ExitCode.CONFLICT);
    expect(again.stderr).toContain("CONFLICT");
    const cas = await cli(["cas", "lock", String(version), "me-2"]);
    expect(cas.code, cas.stderr).toBe(0);
    const stale = await cli(["cas", "lock", String(version), "lost"]);
    expect(stale.code).toBe(ExitCode.CONFLICT);
    expect((await cli(["get", "lock"])).stdout.trim()).toBe("me-2");
  });

  it("refuses writes past the budget with OUT_OF_MEMORY while reads and deletes work", async () => {
    const client = await ZkvClient.connect({ static: { nodes: 2, basePort: cluster!.basePort } });
    try {
      const value = "x".repeat(200);
      let refused: { key: string; error: ZkvError } | undefined;
      for (let i = 0; i < 100 && refused === undefined; i++) {
        await client.put(`fill-${i}`, value).catch((error: ZkvError) => {
          refused = { key: `fill-${i}`, error };
        });
      }
      expect(refused?.error.code).toBe(ErrorCode.OUT_OF_MEMORY);
      expect(await client.get("fill-0")).toBe(value);
      // The CLI, writing to the node that is full, fails with the code in its message.
      const cliPut = await cli(["put", keyOn(client, client.ownerOf(refused!.key), "more"), value]);
      expect(cliPut.code).toBe(ExitCode.FAILURE);
      expect(cliPut.stderr).toContain("OUT_OF_MEMORY");
      const nodes = await cli(["nodes"]);
      expect(nodes.stdout).toMatch(/\d+\/4096 \(\d+%\)/);
      expect(await client.delete("fill-0")).toBe(true);
    } finally {
      await client.close();
    }
  });
});

/** A key with `prefix` that `node` owns. */
function keyOn(client: ZkvClient, node: string, prefix: string): string {
  for (let i = 0; ; i++) if (client.ownerOf(`${prefix}-${i}`) === node) return `${prefix}-${i}`;
}

describe("data features on a replicated cluster (3 nodes, n=3, w=r=2)", () => {
  const fx = useConsulCluster({ size: 3, replicas: 3 });

  it("a TTL reaches every replica as the same absolute expiresAt, and the key expires everywhere", async () => {
    const client = await ZkvClient.connect({ consul: fx.consul.config });
    try {
      await client.put("ttl-key", "v", { ttl: 2 });
      const seen = await client.getWithVersion("ttl-key");
      expect(seen?.expiresAt).toBeGreaterThan(Date.now());
      await eventually(async () => {
        const copies = await Promise.all(
          ["node-0", "node-1", "node-2"].map(async (n) => {
            const reply = (await client.request(n, {
              op: "REPLICA_GET",
              keys: ["ttl-key"],
            })) as ReplicaGetReply;
            return reply.entries[0]?.expiresAt;
          }),
        );
        return copies.every((at) => at === seen?.expiresAt);
      }, 5000);
      await eventually(async () => (await client.get("ttl-key")) === undefined, 10_000);
    } finally {
      await client.close();
    }
  });

  it("concurrent CAS from several clients: every increment lands exactly once", async () => {
    const clients = await Promise.all([0, 1, 2].map(() => ZkvClient.connect({ consul: fx.consul.config })));
    try {
      let conflicts = 0;
      await Promise.all(
        clients.map(async (client) => {
          for (let done = 0; done < 5; ) {
            const current = await client.getWithVersion("counter");
            const next = String(Number(current?.value ?? "0") + 1);
            const options = current === undefined ? { ifAbsent: true } : { ifVersion: current.version };
            try {
              await client.put("counter", next, options);
              done++;
            } catch (err) {
              if ((err as ZkvError).code !== ErrorCode.CONFLICT) throw err;
              conflicts++;
            }
          }
        }),
      );
      console.log(`replicated CAS counter: 15 increments, ${conflicts} conflicts retried`);
      expect(await clients[0]!.get("counter")).toBe("15");
      // A conditional write sent to a replica that is not the key's primary is redirected there.
      const replica = clients[0]!.replicasOf("counter")[1]!;
      const redirect = await clients[0]!
        .request(replica, { op: "PUT", key: "counter", value: "x", ifVersion: 1 })
        .catch((e: ZkvError) => e);
      expect(redirect).toMatchObject({ code: ErrorCode.WRONG_NODE, owner: clients[0]!.ownerOf("counter") });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
