import { ClusterSettings, type DesiredNode, REPLICATION_KEY } from "@zkv/membership";
import { eventually, HoldingProxy, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterFollower } from "../src/cluster/cluster-follower.js";
import { ClusterView } from "../src/cluster/ownership.js";
import { createLogger } from "../src/logger.js";

const desired = (count: number): DesiredNode[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `node-${i}`,
    weight: 1,
    host: "127.0.0.1",
    port: 2000 + i,
  }));

/**
 * A node reads the placement, then the replication setting, then starts watching the placement: a
 * rebalance that commits in between must reach it. It did not: the watch read the new record
 * first and reported only later changes, so the node kept routing by the old members.
 */
describe("a node that starts while the placement changes", () => {
  let consul: TestConsul;
  let proxy: HoldingProxy;

  beforeAll(async () => {
    consul = await startTestConsul();
    proxy = await HoldingProxy.start(consul.config);
  });

  afterAll(async () => {
    await proxy?.close();
    await consul?.stop();
  });

  it("adopts a placement committed between its first read and its watch", async () => {
    const settings = new ClusterSettings(consul.config);
    expect(await settings.writePlacement({ version: 1, epoch: 0, members: desired(2) }, 0)).toBe(true);
    const view = new ClusterView("node-0");
    const follower = new ClusterFollower(proxy.config, view, createLogger("silent", {}));
    try {
      const held = proxy.holdNext((path) => path === `/v1/kv/${REPLICATION_KEY}`);
      const starting = follower.start();
      await held;
      const { index } = await settings.placementRecord();
      expect(await settings.writePlacement({ version: 1, epoch: 1, members: desired(3) }, index)).toBe(true);
      proxy.release();
      await starting;
      await eventually(() => view.epoch === 1, 5_000).catch(() => undefined);
      expect(view.epoch).toBe(1);
    } finally {
      follower.close();
    }
  });
});
