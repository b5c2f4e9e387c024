import { ClusterSettings, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import type { PlacementSpec } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./helpers.js";
import { useMetricsNodes } from "./support/metrics-nodes.js";
import { scrape } from "./support/prometheus-scrape.js";

const { harness, nodes, startNode } = useMetricsNodes();

describe.skipIf(process.platform !== "linux")("metrics with a real Consul", () => {
  let consul: TestConsul;

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(1);
  });

  afterAll(async () => {
    await harness.cleanup();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await consul?.stop();
  });

  it("registers metrics_port in the node's Consul meta and counts keys moved in and out", async () => {
    const node = await startNode({ nodeId: "node-0", consul: consul.config });
    const member = await eventually(async () => {
      const m = (await listMembers(consul.config)).find((x) => x.id === "node-0");
      return m?.health === "passing" ? m : undefined;
    });
    expect(member?.meta).toMatchObject({ node_id: "node-0", metrics_port: String(node.metricsPort) });

    // A rebalance from {node-0} to {node-0, node-1}, driven by hand over the wire.
    const dealer = harness.dealer(node);
    const spec = (ids: string[]): PlacementSpec => ({
      hashing: "ring",
      members: ids.map((id) => ({ id, weight: 1 })),
    });
    const run = "metrics-run";
    for (let i = 0; i < 200; i++) await call(dealer, { op: "PUT", key: `m${i}`, value: "v" });
    expect(
      await call(dealer, {
        op: "MIGRATION",
        phase: "begin",
        run,
        epoch: node.cluster!.epoch,
        current: spec(["node-0"]),
        placement: spec(["node-0", "node-1"]),
      }),
    ).toMatchObject({ ok: true });
    const fetched = (await call(dealer, { op: "MIGRATE_FETCH", run, sweep: true })) as {
      entries: { key: string }[];
    };
    expect(fetched.entries.length).toBeGreaterThan(0);
    const committed = (await call(dealer, {
      op: "MIGRATE_COMMIT",
      run,
      keys: fetched.entries.map((e) => e.key),
    })) as { count: number };
    expect(committed.count).toBe(fetched.entries.length);
    expect(
      await call(dealer, {
        op: "IMPORT",
        run,
        entries: [
          { key: "in-1", value: "v" },
          { key: "in-2", value: "v" },
          { key: "in-3", deleted: true },
        ],
      }),
    ).toMatchObject({ ok: true, count: 3 });

    const after = await scrape(node.metricsPort!);
    expect(after.value("zkv_rebalance_keys_moved_total", { direction: "out" })).toBe(committed.count);
    expect(after.value("zkv_rebalance_keys_moved_total", { direction: "in" })).toBe(3);
    expect(after.value("zkv_requests_total", { op: "PUT", outcome: "ok" })).toBe(200);
    expect(after.value("zkv_requests_total", { op: "MIGRATE_COMMIT", outcome: "ok" })).toBe(1);
    expect(after.value("zkv_keys")).toBe(200 - committed.count + 2);
  });
});
