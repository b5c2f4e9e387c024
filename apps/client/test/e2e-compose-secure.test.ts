import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { composeCommand, dockerUnavailable } from "./compose/availability.js";
import { COMPOSE_FILE, type ComposeStack, SECURE_FILE } from "./compose/stack.js";
import { startTestStack } from "./compose/test-stack.js";

/**
 * docker-compose.secure.yml on top of docker-compose.yml, run for real: the keys `zkv keygen`
 * made in a volume, CURVE on every node, Consul ACLs with only the zkv policy's token for zkv.
 * The client that holds the key and the token reads every key; without either, nothing.
 * Where no Docker engine can be had, skipped saying why.
 */
const LOADED = 10_000;
const NODES = ["node-0", "node-1", "node-2", "node-3"];
const unavailable = dockerUnavailable();

if (unavailable !== undefined)
  console.warn(`e2e-compose-secure.test.ts: SKIPPED, no Docker engine: ${unavailable}`);
const under =
  unavailable === undefined
    ? `under ${composeCommand()!.join(" ")}`
    : `SKIPPED: no Docker engine: ${unavailable}`;

describe.skipIf(unavailable !== undefined)(`docker-compose.secure.yml (${under})`, () => {
  let basePort = 0;
  let stack: ComposeStack;

  beforeAll(async () => {
    const tokens = { ZKV_CONSUL_MANAGEMENT_TOKEN: randomUUID(), ZKV_CONSUL_TOKEN: randomUUID() };
    ({ stack, basePort } = await startTestStack("zkvsecure", [COMPOSE_FILE, SECURE_FILE], tokens));
  }, 600_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail")
      console.error(`compose logs of ${stack.project}:\n${await stack.logs()}`);
  });

  afterAll(() => stack?.destroy(), 120_000);

  it("up: keys made by zkv keygen, CURVE nodes, Consul ACLs; the client holding the key and the token loads and reads every key", async () => {
    await stack.must(["up", "-d"], 300_000);
    await stack.healthy(["consul", ...NODES]);
    expect(await stack.exited("curve-keys")).toBe(0);
    expect(await stack.exited("acl-init")).toBe(0);
    expect(await stack.exited("client")).toBe(0);
    const nodeLog = (await stack.compose(["logs", "--no-color", "node-0"])).stdout;
    expect(nodeLog).toMatch(/"curve":\{"allowedClients":1\}.*"msg":"node serving"/);

    const all = await stack.zkv("all");
    expect(all.status, all.stderr).toBe(0);
    const lines = all.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBe(LOADED);
    expect(lines).toContain("key-1234\tvalue-1234");
  });

  it("gives nothing to a client without the CURVE key, or without the Consul token", async () => {
    // Through the published ports, as a static cluster with no key: the nodes refuse it.
    const plainRead = async () => {
      const plain = await ZkvClient.connect({
        static: { nodes: NODES.length, host: "127.0.0.1", basePort },
        timeoutMs: 3000,
      });
      try {
        return await plain.get("key-1");
      } finally {
        plain.close();
      }
    };
    await expect(plainRead()).rejects.toThrow();
    // Consul without a token: denied.
    const consulPort = await stack.hostPort("consul", 8500);
    expect((await fetch(`http://127.0.0.1:${consulPort}/v1/kv/zkv/placement`)).status).toBe(403);
    // The client container without its key, then without its token: exit 77, no value.
    const noKey = await stack.zkv("get key-1", { ZKV_CURVE_SECRET_KEY_FILE: "" });
    expect(noKey.status, noKey.stderr).toBe(77);
    expect(noKey.stdout).not.toContain("value-1");
    const noToken = await stack.zkv("get key-1", { CONSUL_HTTP_TOKEN: "" });
    expect(noToken.status, noToken.stderr).toBe(77);
    expect(noToken.stdout).not.toContain("value-1");
  });
});
