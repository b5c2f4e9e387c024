import {
  ClusterSettings,
  formatConsulAddr,
  HASHING_KEY,
  listMembers,
  type PlacementRecord,
} from "@zkv/membership";
import {
  eventually,
  freePortRange,
  HoldingProxy,
  startTestConsul,
  type TestConsul,
} from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runServer } from "./support/processes.js";

/**
 * The launcher reads the placement, starts its nodes, then watches the placement for nodes to
 * add: an add-node run while its nodes were starting must be launched too. It was not: the watch
 * read the new record first and reported only later changes, so the added node never started and
 * the add rolled back.
 */
describe("a launcher told of an add-node while it starts", () => {
  let consul: TestConsul;
  let proxy: HoldingProxy;

  beforeAll(async () => {
    consul = await startTestConsul();
    proxy = await HoldingProxy.start(consul.config);
    await new ClusterSettings(consul.config).setClusterSize(1);
  });

  afterAll(async () => {
    await proxy?.close();
    await consul?.stop();
  });

  it("launches the node the record added before its watch began", async () => {
    const settings = new ClusterSettings(consul.config);
    const basePort = await freePortRange(2);
    // The launcher reads the hashing right after writing its first record: held there.
    const held = proxy.holdNext((path) => path === `/v1/kv/${HASHING_KEY}`);
    const env = {
      CONSUL_HTTP_ADDR: formatConsulAddr(proxy.config),
      CONSUL_HTTP_TOKEN: proxy.config.token ?? "",
    };
    const launcher = runServer(["--base-port", String(basePort)], env);
    try {
      await held.catch((err: Error) => {
        throw new Error(`${err.message}; the launcher said:\n${launcher.output()}`);
      });
      const { record, index } = await settings.placementRecord();
      const [first] = record!.members;
      const added = { ...first!, id: "node-1", port: basePort + 1 };
      const joining: PlacementRecord = {
        ...record!,
        transition: {
          kind: "add",
          node: "node-1",
          run: "test-run",
          next: [first!, added],
          startedAt: new Date().toISOString(),
          phase: "joining",
        },
      };
      expect(await settings.writePlacement(joining, index)).toBe(true);
      proxy.release();
      const ids = async () => (await listMembers(consul.config)).map((m) => m.id);
      await eventually(async () => (await ids()).includes("node-1"), 30_000).catch(() => undefined);
      expect(await ids(), launcher.output()).toEqual(["node-0", "node-1"]);
    } finally {
      await launcher.stop();
    }
  });
});
