import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterSettings, CURVE_ALLOWED_CLIENTS_KEY, CURVE_KEY_META, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { ExitCode } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

/**
 * The whole system locked down: Consul with ACLs (default deny, zkv's documented policy) and a
 * launcher whose nodes run CURVE, configured the way an operator would: key files named by
 * environment variables, an allow-list file, and the cluster's list in Consul KV.
 */
describe("a CURVE cluster on a Consul with ACLs", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-e2e-security-"));
  const node = curveKeyPair();
  const cli = curveKeyPair();
  const late = curveKeyPair();
  const keyFile = (name: string, key: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    return path;
  };
  let consul: TestConsul;
  let cluster: TestCluster | undefined;
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    consul = await startTestConsul({ acl: true });
    await new ClusterSettings(consul.config).setClusterSize(3);
    cluster = await startCluster({
      ...consul.env,
      ZKV_CURVE_SECRET_KEY_FILE: keyFile("node.key", node.secretKey),
      ZKV_CURVE_ALLOWED_CLIENTS_FILE: keyFile("allowed", `# the CLI\n${cli.publicKey}`),
    });
    cliEnv = { ...consul.env, ZKV_CURVE_SECRET_KEY_FILE: keyFile("cli.key", cli.secretKey) };
  });
  afterAll(async () => {
    await cluster?.stop();
    await consul?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers every node with its public key in service meta", async () => {
    // Waits out a node briefly missing from Consul right after "ready" under heavy load (session 4 note).
    await eventually(
      async () => (await listMembers(consul.config)).filter((m) => m.health === "passing").length === 3,
      30_000,
    );
    const members = await listMembers(consul.config);
    expect(members.map((m) => [m.id, m.health, m.meta[CURVE_KEY_META]])).toEqual(
      [0, 1, 2].map((i) => [`node-${i}`, "passing", node.publicKey]),
    );
  });

  it("serves the allowed CLI: load, get, all and nodes", async () => {
    const load = await runCli(["load", "--count", "500", "--json"], cliEnv);
    expect(load.code, load.stderr).toBe(0);
    const get = await runCli(["get", "key-42"], cliEnv);
    expect([get.code, get.stdout.trim()]).toEqual([0, "value-42"]);
    const all = await runCli(["all"], cliEnv);
    expect(all.stdout.trimEnd().split("\n")).toHaveLength(500);
    const nodes = await runCli(["nodes", "--json"], cliEnv);
    const view = JSON.parse(nodes.stdout) as { members: Array<{ stats?: { keys: number } }> };
    expect(view.members.reduce((n, m) => n + (m.stats?.keys ?? 0), 0)).toBe(500);
  });

  it("gives no data to a CLI without a key or with an unlisted one: exit 77, AUTH_FAILED", async () => {
    const plain = await runCli(["get", "key-42"], consul.env);
    expect(plain.code, plain.stderr).toBe(ExitCode.NO_PERMISSION);
    expect(plain.stderr).toMatch(/requires CURVE/);
    expect(plain.stdout).toBe("");
    const lateEnv = { ...consul.env, ZKV_CURVE_SECRET_KEY: late.secretKey };
    const unlisted = await runCli(["all"], lateEnv);
    expect(unlisted.code, unlisted.stderr).toBe(ExitCode.NO_PERMISSION);
    expect(unlisted.stderr).toMatch(/refused this client's CURVE key/);
    expect(unlisted.stdout).not.toMatch(/value-/);
  });

  it("admits a key the operator adds to Consul KV, without restarting a node", async () => {
    // Editing the allow-list is the operator's job: zkv's own token may only read it.
    await new ClusterSettings(consul.managementConfig).set(CURVE_ALLOWED_CLIENTS_KEY, `${late.publicKey}\n`);
    const lateEnv = { ...consul.env, ZKV_CURVE_SECRET_KEY: late.secretKey };
    const got = await eventually(async () => {
      const r = await runCli(["get", "key-7"], lateEnv);
      return r.code === 0 ? r.stdout.trim() : undefined;
    }, 30_000);
    expect(got).toBe("value-7");
    expect((await runCli(["get", "key-8"], cliEnv)).stdout.trim()).toBe("value-8"); // the file's key still works
  });

  it("adds a node under CURVE and ACLs: the rebalance takes the lock and moves keys", async () => {
    const add = await runCli(["add-node", "--json"], cliEnv);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ kind: "add", node: "node-3" });
    const all = await runCli(["all"], cliEnv);
    expect(all.stdout.trimEnd().split("\n")).toHaveLength(500);
  });

  it("stops cleanly and deregisters", async () => {
    expect(await cluster!.stop()).toBe(0);
    cluster = undefined;
    expect(await listMembers(consul.config)).toEqual([]);
  });
});
