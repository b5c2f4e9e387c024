import { fileURLToPath } from "node:url";
import { listMembers } from "@zkv/membership";
import { freePorts, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterLauncher } from "../src/launcher/launcher.js";

const standIn = fileURLToPath(new URL("./fixtures/stand-in-node.mjs", import.meta.url));

/**
 * A launcher (re)started while a remove-node is still in its record starts the leaving node too;
 * the move then ends and that node leaves (exit 0). Found by the nemesis (seed 3186407805): the
 * launcher went on waiting for it, gave up after 30 s and stopped the whole cluster. It must be
 * ready once the nodes it still runs serve.
 */
describe("ClusterLauncher readiness", () => {
  let consul: TestConsul;
  beforeAll(async () => {
    consul = await startTestConsul();
  });
  afterAll(async () => {
    await consul?.stop();
  });

  it("does not wait for a node that left the cluster while the others started", async () => {
    // Stand-ins bind nothing: the ports are only what they register.
    const ports = await freePorts(3);
    const launcher = new ClusterLauncher({
      nodes: ports.map((port, i) => ({ id: `node-${i}`, port })),
      entry: standIn,
      nodeArgs: [],
      consul: consul.config,
      env: { ...consul.env, STAND_IN_LEAVES: "node-2" },
      logger: pino({ level: "silent" }),
      readyTimeoutMs: 15_000,
    });
    try {
      const members = await launcher.start();
      expect(members?.map((m) => m.id)).toEqual(["node-0", "node-1"]);
      expect(launcher.running.sort()).toEqual(["node-0", "node-1"]);
    } finally {
      await launcher.close();
    }
    expect(await listMembers(consul.config)).toEqual([]);
  });
});
