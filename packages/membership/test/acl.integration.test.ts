import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClusterSettings,
  ConsulPermissionError,
  CURVE_ALLOWED_CLIENTS_KEY,
  createConsulClient,
  NodeRegistration,
} from "../src/index.js";
import { startTestConsul, type TestConsul, ZKV_ACL_POLICY_FILE } from "../src/testing/index.js";

let consul: TestConsul;
beforeAll(async () => {
  consul = await startTestConsul({ acl: true });
});
afterAll(async () => {
  await consul?.stop();
});

const registration = (token: string | undefined) =>
  new NodeRegistration({
    consul: token === undefined ? { ...consul.config, token: undefined } : { ...consul.config, token },
    nodeId: "node-0",
    address: "127.0.0.1",
    port: 2000,
  });

describe("an agent with ACLs on and default deny", () => {
  it("holds exactly the policy in deploy/consul-acl-policy.hcl, and zkv's token has only that", async () => {
    const res = await fetch(`${consul.addr}/v1/acl/token/self`, {
      headers: { "X-Consul-Token": consul.token! },
    });
    const self = (await res.json()) as { Policies: Array<{ ID: string; Name: string }> };
    expect(self.Policies.map((p) => p.Name)).toEqual(["zkv"]);
    const policy = (await (
      await fetch(`${consul.addr}/v1/acl/policy/${self.Policies[0]!.ID}`, {
        headers: { "X-Consul-Token": consul.managementConfig.token! },
      })
    ).json()) as { Rules: string };
    expect(policy.Rules).toBe(readFileSync(ZKV_ACL_POLICY_FILE, "utf8"));
  });

  it("refuses a node without a token: registering fails with ConsulPermissionError, not a retry loop", async () => {
    const err = await registration(undefined)
      .start()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsulPermissionError);
    expect((err as Error).message).toMatch(
      /denied permission while registering zkv-node-0.*CONSUL_HTTP_TOKEN/,
    );
    await expect(
      new ClusterSettings({ ...consul.config, token: undefined }).clusterSize(),
    ).rejects.toBeInstanceOf(ConsulPermissionError);
  });

  it("lets the zkv token register zkv, and nothing else: no other service, no other key, no allow-list edits", async () => {
    const reg = registration(consul.token);
    await reg.start();
    await reg.close();
    const client = createConsulClient(consul.config);
    const refused = await client.agent.service
      .register({ name: "other", id: "other-1", port: 1 } as never)
      .catch((e: { response?: { statusCode?: number } }) => e.response?.statusCode);
    expect(refused).toBe(403);
    const settings = new ClusterSettings(consul.config);
    await expect(settings.set("other/key", "x")).rejects.toBeInstanceOf(ConsulPermissionError);
    await expect(settings.set(CURVE_ALLOWED_CLIENTS_KEY, "x")).rejects.toBeInstanceOf(ConsulPermissionError);
    await new ClusterSettings(consul.managementConfig).set(CURVE_ALLOWED_CLIENTS_KEY, "# none yet\n");
    expect(await settings.get(CURVE_ALLOWED_CLIENTS_KEY)).toBe("# none yet\n");
  });
});
