import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { composeCommand, dockerUnavailable } from "./compose/availability.js";
import { allFromClientContainer, keysOn, missingFrom, wrongThroughPorts } from "./compose/reads.js";
import { run } from "./compose/run-command.js";
import type { ComposeStack } from "./compose/stack.js";
import { startTestStack } from "./compose/test-stack.js";
import { startWriter } from "./compose/writer.js";
import { attachComposeCluster } from "./nemesis/compose/cluster.js";
import { composeFailureReport, runComposeSchedule } from "./nemesis/compose/run.js";
import { describeComposeSchedule, generateComposeSchedule } from "./nemesis/compose/schedule.js";
import { scheduleLine } from "./nemesis/report.js";

/**
 * docker-compose.yml run for real: the images built, `up`, the seed's load, reads through the
 * published loopback ports and from the client container, a node container killed, the stack
 * taken down and up again, one short seeded schedule of the compose nemesis (container kill,
 * pause and network partition under concurrent clients; `pnpm nemesis --compose` runs more),
 * node-4 added and node-0 removed under a writer, and `down -v`.
 * Where no Docker engine can be had (not root, no docker.io), skipped saying why.
 */
const LOADED = 10_000;
const NODES = ["node-0", "node-1", "node-2", "node-3"];
/** n=1, ring, fsync batch (this stack's mode), two steps: a network disconnect, then a kill and a pause. */
const NEMESIS_SEED = 282;

const unavailable = dockerUnavailable();
const loaded = new Map(Array.from({ length: LOADED }, (_, i) => [`key-${i}`, `value-${i}`] as const));

if (unavailable !== undefined) console.warn(`e2e-compose.test.ts: SKIPPED, no Docker engine: ${unavailable}`);
const under =
  unavailable === undefined
    ? `under ${composeCommand()!.join(" ")}`
    : `SKIPPED: no Docker engine: ${unavailable}`;

describe.skipIf(unavailable !== undefined)(`docker-compose.yml (${under})`, () => {
  let basePort = 0;
  let stack: ComposeStack;

  beforeAll(async () => {
    ({ stack, basePort } = await startTestStack("zkvtest"));
  }, 600_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail")
      console.error(`compose logs of ${stack.project}:\n${await stack.logs()}`);
  });

  afterAll(async () => {
    await run("docker", ["rm", "-f", `${stack.project}-writer`]);
    await stack?.destroy();
  }, 120_000);

  it("up: every node healthy, the seed's load done, every key read through the published ports and from the client container", async () => {
    await stack.must(["up", "-d"], 300_000);
    await stack.healthy(["consul", ...NODES]);
    expect(await stack.exited("client")).toBe(0);
    expect((await stack.compose(["logs", "--no-color", "client"])).stdout).toContain(`wrote ${LOADED} keys`);

    const consulPort = await stack.hostPort("consul", 8500);
    const health = await fetch(`http://127.0.0.1:${consulPort}/v1/health/service/zkv?passing`);
    expect(((await health.json()) as unknown[]).length).toBe(NODES.length);

    expect(await wrongThroughPorts(basePort, NODES.length, loaded)).toEqual([]);
    const all = await allFromClientContainer(stack);
    expect(missingFrom(all, loaded)).toEqual([]);
    expect(all.size).toBe(LOADED);
  });

  it("a node container killed and started again serves the keys it held (named volume)", async () => {
    const before = await keysOn(basePort, NODES.length, "node-2");
    expect(before.length).toBeGreaterThan(LOADED / 10);
    await stack.must(["kill", "node-2"]);
    expect((await stack.state("node-2")).status).toBe("exited");
    await stack.must(["start", "node-2"]);
    await stack.healthy(["node-2"]);
    expect(await keysOn(basePort, NODES.length, "node-2")).toEqual(before);
    expect(await wrongThroughPorts(basePort, NODES.length, loaded)).toEqual([]);
  });

  it("`down` keeps the volumes: the next `up` of the nodes (no load this time) serves the same keys", async () => {
    const extra = new Map([["written-before-down", randomBytes(8).toString("hex")]]);
    const put = await stack.zkv(`put written-before-down ${extra.get("written-before-down")}`);
    expect(put.status).toBe(0);
    await stack.must(["down"]);
    expect(await stack.containerId("node-0")).toBeUndefined();
    const kept = (await stack.resourceNames("volume")).map((v) => v.slice(stack.project.length + 1));
    expect(kept).toEqual(expect.arrayContaining(["consul-data", ...NODES.map((n) => `${n}-data`)]));
    await stack.must(["up", "-d", ...NODES], 300_000);
    await stack.healthy(NODES);
    expect(await stack.containerId("client")).toBeUndefined();
    const expected = new Map([...loaded, ...extra]);
    expect(await wrongThroughPorts(basePort, NODES.length, expected)).toEqual([]);
    expect((await allFromClientContainer(stack)).size).toBe(expected.size);
  });

  it(`seed ${NEMESIS_SEED} of the compose nemesis: clients through the published ports while node containers are cut off the network, killed and paused; nothing acknowledged lost, every key on its node, counters exact`, async () => {
    const schedule = generateComposeSchedule(NEMESIS_SEED);
    console.log(describeComposeSchedule(schedule));
    const mode = { replicas: 1, hashing: "ring", fsync: "batch" } as const; // startTestStack's
    const result = await runComposeSchedule(schedule, {
      cluster: await attachComposeCluster(stack, basePort, mode),
    });
    console.log(scheduleLine(result));
    if (result.violations.length > 0) console.log(composeFailureReport(result));
    const replay = `seed ${NEMESIS_SEED} failed (report above); replay with: pnpm nemesis --compose --seed ${NEMESIS_SEED}`;
    expect(result.violations.slice(0, 5), replay).toEqual([]);
    const faults = schedule.steps.flatMap((step) => step.faults);
    expect(result.timeline.filter((line) => / healed, /.test(line)).length).toBe(faults.length);
    expect(result.history.acked).toBeGreaterThan(0);
  });

  it("add node-4, then remove node-0, with a writer running: every acknowledged write is kept", async () => {
    await stack.must(["--profile", "node-4", "up", "-d", "node-4"], 300_000);
    const writer = startWriter(stack);
    try {
      await writer.acked(200);
      const add = await stack.zkv("add-node --id node-4");
      expect(add.status, add.stderr).toBe(0);
      expect(add.stdout).toMatch(/^added node-4: moved [1-9]/m);
      await stack.healthy(["node-4"]);
      const remove = await stack.zkv("remove-node node-0");
      expect(remove.status, remove.stderr).toBe(0);
      expect(remove.stdout).toMatch(/^removed node-0: moved [1-9]/m);
      await writer.acked(writer.ackedCount() + 200);
    } finally {
      await writer.stop();
    }
    // node-0 left for good: exit 0, which `restart: on-failure` does not restart.
    expect(await stack.exited("node-0", 30_000)).toBe(0);

    const acked = writer.ackedKeys();
    const all = await allFromClientContainer(stack);
    const lost = missingFrom(all, acked);
    console.log(
      `e2e-compose: ${acked.size} acknowledged writes during add-node and remove-node, ${lost.length} lost, ${writer.failed()} failed`,
    );
    expect(lost).toEqual([]);
    expect(missingFrom(all, loaded)).toEqual([]);

    const nodes = await stack.zkv("--json nodes");
    const view = JSON.parse(nodes.stdout) as {
      transition?: unknown;
      members: { id: string; stats?: { keys: number } }[];
    };
    expect(view.transition).toBeUndefined();
    expect(view.members.map((m) => m.id).sort()).toEqual(["node-1", "node-2", "node-3", "node-4"]);
    // Every key on exactly one node: the nodes' key counts add up to the keys read.
    expect(view.members.reduce((n, m) => n + (m.stats?.keys ?? 0), 0)).toBe(all.size);
  });

  it("`down -v` removes the containers, the network and every volume", async () => {
    await stack.destroy();
    expect(await stack.resourceNames("volume")).toEqual([]);
    expect(await stack.containerId("node-1")).toBeUndefined();
    expect(await stack.resourceNames("network")).toEqual([]);
  });
});
