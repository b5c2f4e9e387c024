import { ClusterSettings, listMembers } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { ErrorCode, ZkvError } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { createNetnsLab, type NetnsLab, netnsUnavailableReason } from "./support/netns.js";
import { type NetnsNode, startNetnsNodes, stopNetnsNode } from "./support/netns-nodes.js";

/**
 * zkv across hosts: each node runs in its own Linux network namespace with its own address on a
 * bridge, binds 0.0.0.0 there and advertises that address in Consul; the client and Consul live in
 * the root namespace. All three nodes listen on the same port, so only the advertised addresses
 * tell them apart. Cutting one host's link must turn it critical and make its keys fail fast while
 * the others keep being served. Traffic stays on the bridge's private subnet.
 */

const NODES = 3;
const PORT = 2000;

const skipReason = netnsUnavailableReason();
if (skipReason) console.warn(`e2e-netns skipped: ${skipReason}`);

/** The first `<prefix>-<n>` key that `nodeId` owns. */
function keyOf(client: ZkvClient, nodeId: string, prefix = "probe"): string {
  for (let i = 0; ; i++) if (client.ownerOf(`${prefix}-${i}`) === nodeId) return `${prefix}-${i}`;
}

describe.skipIf(skipReason !== undefined)(
  skipReason
    ? `nodes in separate network namespaces (skipped: ${skipReason})`
    : "nodes in separate network namespaces",
  () => {
    let lab: NetnsLab | undefined;
    let consul: TestConsul | undefined;
    let nodes: NetnsNode[] = [];
    let client: ZkvClient | undefined;

    beforeAll(async () => {
      lab = createNetnsLab(NODES);
      consul = await startTestConsul({ address: lab.hostAddress });
      await new ClusterSettings(consul.config).setClusterSize(NODES);
      nodes = await startNetnsNodes(lab, consul, PORT);
    });

    afterAll(async () => {
      await client?.close();
      try {
        await Promise.all(nodes.map(stopNetnsNode));
        await consul?.stop();
      } finally {
        lab?.destroy();
      }
    });

    it("registers each node under its advertised namespace address and serves every node's keys across the bridge", async () => {
      const members = await listMembers(consul!.config);
      expect(members.map((m) => [m.id, m.address, m.port, m.health])).toEqual(
        lab!.hosts.map((h, i) => [`node-${i}`, h.address, PORT, "passing"]),
      );

      client = await ZkvClient.connect({ consul: consul!.config, timeoutMs: 5000 });
      for (const [i, host] of lab!.hosts.entries()) {
        const id = `node-${i}`;
        const key = keyOf(client, id);
        expect(client.locate(key)).toMatchObject({ id, address: host.address, port: PORT });
        // The node at that address answers as itself: the client reached the right host.
        expect(await client.request(id, { op: "PING" })).toMatchObject({ ok: true, node: id });
        await client.put(key, `value of ${id}`);
        expect(await client.get(key)).toBe(`value of ${id}`);
      }
    });

    it("a node whose link goes down turns critical, its keys fail fast with NODE_UNAVAILABLE, the others keep serving, and it comes back", async () => {
      client ??= await ZkvClient.connect({ consul: consul!.config, timeoutMs: 5000 });
      const c = client;
      const [, cut] = lab!.hosts;
      const mine = keyOf(c, "node-1", "cut");
      const others = [keyOf(c, "node-0", "other"), keyOf(c, "node-2", "other")];
      await c.put(mine, "before the cut");

      // Traffic to the other two hosts throughout the outage; none of it may fail.
      let serving = true;
      let served = 0;
      const failures: unknown[] = [];
      const traffic = (async () => {
        for (let i = 0; serving; i++) {
          for (const key of others) {
            try {
              await c.put(key, `v${i}`);
              if ((await c.get(key)) !== `v${i}`) failures.push(`${key} read back wrong`);
              served++;
            } catch (err) {
              failures.push(err);
            }
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const cutAt = Date.now();
      let criticalAfterMs = 0;
      let passingAfterMs = 0;
      try {
        lab!.linkDown(cut!);
        try {
          // node-1 can no longer pass its TTL check (2 s): Consul marks it critical, the client is told.
          await eventually(() => c.members.some((m) => m.id === "node-1" && m.health === "critical"), 15_000);
          criticalAfterMs = Date.now() - cutAt;
          const health = Object.fromEntries((await listMembers(consul!.config)).map((m) => [m.id, m.health]));
          expect(health).toEqual({ "node-0": "passing", "node-1": "critical", "node-2": "passing" });

          // Placement follows membership, not health: node-1 still owns its keys, and they fail fast.
          expect(c.ownerOf(mine)).toBe("node-1");
          for (const attempt of [
            () => c.get(mine),
            () => c.put(mine, "during the cut"),
            () => c.delete(mine),
          ]) {
            // NODE_UNAVAILABLE, not TIMEOUT after the request timeout: it fails at once.
            const failure = await attempt().catch((e: unknown) => e);
            expect(failure).toBeInstanceOf(ZkvError);
            expect((failure as ZkvError).code).toBe(ErrorCode.NODE_UNAVAILABLE);
          }
          // Let the other two serve a while longer with node-1 critical.
          const servedBefore = served;
          await eventually(() => served >= servedBefore + 20, 10_000, 20);
        } finally {
          lab!.linkUp(cut!);
        }

        // The heartbeat gets through again: passing, and the key (still in node-1's memory) is served.
        const upAt = Date.now();
        await eventually(() => c.members.some((m) => m.id === "node-1" && m.health === "passing"), 15_000);
        passingAfterMs = Date.now() - upAt;
        await eventually(async () => (await c.get(mine)) === "before the cut", 15_000);
        await c.put(mine, "after the cut");
        expect(await c.get(mine)).toBe("after the cut");
      } finally {
        serving = false;
        await traffic;
      }
      console.info(
        `e2e-netns: node-1 critical ${criticalAfterMs} ms after its link went down, passing ${passingAfterMs} ms ` +
          `after it came back; ${served} put+get rounds to node-0/node-2 meanwhile`,
      );
      expect(failures).toEqual([]);
      expect(served).toBeGreaterThan(0);
    });
  },
);
