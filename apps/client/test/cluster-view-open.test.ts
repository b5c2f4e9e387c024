import {
  CLUSTER_SIZE_KEY,
  ClusterSettings,
  initialPlacement,
  NodeRegistration,
  PLACEMENT_KEY,
  REPLICA_STATE_META,
} from "@zkv/membership";
import { eventually, HoldingProxy, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";

/**
 * A client opening its view reads membership, then placement and replication: a membership change
 * that arrives in between must not be lost. It was: the change came before the view listened, the
 * view then adopted the first answer, and kept it until the next change (seen in CI as a client
 * that saw a node "bootstrapping" for 30 s after Consul had it serving).
 */
describe("a client's view of the members, opened while they change", () => {
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

  it("a node that starts serving while the client opens is seen serving", async () => {
    const node = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-0",
      address: "127.0.0.1",
      port: 1, // nothing listens: the client's view is what is checked, not the node
      meta: { [REPLICA_STATE_META]: "bootstrapping" },
    });
    await node.start();
    try {
      // The view reads the placement after it started watching the members: held there.
      const held = proxy.holdNext((path) => path === `/v1/kv/${PLACEMENT_KEY}`);
      const opening = ZkvClient.connect({ consul: proxy.config, connectTimeoutMs: 100 });
      await held;
      await node.updateMeta({ [REPLICA_STATE_META]: "serving" });
      const serving = new RegExp(`"${REPLICA_STATE_META}":\\s*"serving"`);
      await eventually(
        () => proxy.answered((path) => path.startsWith("/v1/health/service/"), serving),
        10_000,
      );
      proxy.release();
      const client = await opening;
      try {
        await eventually(() => client.members[0]?.meta[REPLICA_STATE_META] === "serving", 5_000).catch(
          () => undefined,
        );
        expect(client.members.map((m) => m.meta[REPLICA_STATE_META])).toEqual(["serving"]);
      } finally {
        await client.close();
      }
    } finally {
      await node.close();
    }
  });

  it("a placement record written while the client reads the cluster_size fallback is kept", async () => {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(2);
    // With no record yet, the view falls back to cluster_size after its placement watch started.
    const held = proxy.holdNext((path) => path === `/v1/kv/${CLUSTER_SIZE_KEY}`);
    const opening = ZkvClient.connect({ consul: proxy.config, connectTimeoutMs: 100 });
    await held;
    const record = { ...initialPlacement(3), epoch: 1 };
    expect(await settings.writePlacement(record, 0)).toBe(true);
    const pushed = new RegExp(`"Key":\\s*"${PLACEMENT_KEY}"`);
    await eventually(() => proxy.answered((path) => path === `/v1/kv/${PLACEMENT_KEY}`, pushed), 10_000);
    proxy.release();
    const client = await opening;
    try {
      await eventually(() => client.placementRecord?.epoch === 1, 5_000).catch(() => undefined);
      expect(client.placementRecord?.epoch).toBe(1);
    } finally {
      await client.close();
    }
  });
});
