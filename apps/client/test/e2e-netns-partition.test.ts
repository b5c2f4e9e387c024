import { ClusterSettings, listMembers, REPLICA_STATE_META, replication } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import type { ReplicaGetReply } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { coordinatorOf } from "../src/lib/cluster/coordinator.js";
import { createNetnsLab, type NetnsLab, netnsUnavailableReason } from "./support/netns.js";
import { type NetnsNode, startNetnsNodes, stopNetnsNode } from "./support/netns-nodes.js";
import { cutOff, reconnect } from "./support/netns-partition.js";
import { lostWrites, repeatUntilStopped } from "./support/workload.js";

/**
 * A partition nobody pictured in the other tests: one node loses its peers but not Consul or the
 * client. Consul keeps it passing (its heartbeat gets through), so the client keeps choosing it
 * to coordinate, and it can reach no other replica. Three nodes, each in its own network
 * namespace, 3 copies of every key (w = r = 2): every key has the same replicas, so before the
 * fix that one node coordinated everything and the whole cluster refused every write and read
 * until the cut healed, while two replicas that could serve them stood by.
 */

const NODES = 3;
const PORT = 2000;
const KEYS = 100;

const skipReason = netnsUnavailableReason();
if (skipReason) console.warn(`e2e-netns-partition skipped: ${skipReason}`);

/** Each node's copy (value and version) of `keys`, read with REPLICA_GET: no quorum, no repair. */
async function copiesOn(client: ZkvClient, node: string, keys: readonly string[]) {
  const reply = (await client.request(node, { op: "REPLICA_GET", keys: [...keys] })) as ReplicaGetReply;
  return new Map(reply.entries.map((e) => [e.key, `${e.value}@${e.version}`]));
}

/** Keys whose copies differ between the nodes, or are missing on one. */
async function disagreeing(client: ZkvClient, keys: readonly string[]): Promise<string[]> {
  const ids = Array.from({ length: NODES }, (_, i) => `node-${i}`);
  const copies = await Promise.all(ids.map((id) => copiesOn(client, id, keys)));
  return keys.filter((k) => copies.some((c) => c.get(k) === undefined || c.get(k) !== copies[0]!.get(k)));
}

describe.skipIf(skipReason !== undefined)(
  skipReason
    ? `a node cut off from its peers only (skipped: ${skipReason})`
    : "a node cut off from its peers only",
  () => {
    let lab: NetnsLab | undefined;
    let consul: TestConsul | undefined;
    let nodes: NetnsNode[] = [];

    beforeAll(async () => {
      lab = createNetnsLab(NODES);
      consul = await startTestConsul({ address: lab.hostAddress });
      const settings = new ClusterSettings(consul.config);
      await settings.setClusterSize(NODES);
      await settings.setReplication(replication(3));
      nodes = await startNetnsNodes(lab, consul, PORT, ["--anti-entropy-interval", "1"]);
    });

    afterAll(async () => {
      try {
        for (const host of lab?.hosts ?? []) reconnect(host);
        await Promise.all(nodes.map(stopNetnsNode));
        await consul?.stop();
      } finally {
        lab?.destroy();
      }
    });

    it("keeps serving writes and reads through the other two replicas, loses nothing acknowledged, and the cut node catches up", async () => {
      const client = await ZkvClient.connect({ consul: consul!.config, timeoutMs: 3000 });
      try {
        await eventually(
          () =>
            client.members.length === NODES &&
            client.members.every(
              (m) => m.health === "passing" && m.meta[REPLICA_STATE_META] !== "bootstrapping",
            ),
          30_000,
        );
        // The node that coordinates every key (they all share one replica set): the one to cut.
        const coordinator = coordinatorOf(client.replicasOf("any"), () => true);
        expect((await eventually(() => client.put("first", "x"), 20_000)).node).toBe(coordinator);
        const cut = lab!.hosts[Number(coordinator.slice("node-".length))]!;

        // Two writers overwrite KEYS keys with increasing numbers; a reader checks it never reads
        // a key older than what was acknowledged before the read began.
        const latest = new Map<string, number>();
        let acked = 0;
        const stale: string[] = [];
        let seq = 0;
        const traffic = repeatUntilStopped(async (loop) => {
          if (loop === 2) {
            const known = [...latest.keys()];
            const key = known[Math.floor(Math.random() * known.length)];
            if (key === undefined) return void (await new Promise((r) => setTimeout(r, 5)));
            const floor = latest.get(key)!;
            const value = await client.get(key);
            if (value === undefined || Number(value) < floor) stale.push(`${key}: ${value} < ${floor}`);
            return;
          }
          const n = ++seq;
          const key = `cut-${n % KEYS}`;
          try {
            await client.put(key, String(n));
          } catch (err) {
            await new Promise((r) => setTimeout(r, 5)); // a fast failure must not spin
            throw err;
          }
          if ((latest.get(key) ?? 0) < n) latest.set(key, n);
          acked++;
        }, 3);

        let ackedWhileCut = 0;
        try {
          await eventually(() => acked >= 200, 20_000);
          cutOff(
            cut,
            lab!.hosts.filter((h) => h !== cut),
          );
          try {
            // Consul keeps the cut node passing: only its peers and the client can tell.
            const before = acked;
            await eventually(() => acked - before >= 300, 30_000, 50).catch((err: Error) => {
              const failures = JSON.stringify(Object.fromEntries(traffic.failures));
              throw new Error(
                `${err.message}: ${acked - before} acknowledged while cut; failures ${failures}`,
              );
            });
            ackedWhileCut = acked - before;
            // Bulk too: every entry the cut node refuses goes again, through a replica that can.
            const bulk = Array.from({ length: 500 }, (_, i) => [`bulk-${i}`, `b${i}`] as const);
            await client.putMany(bulk);
            expect(await client.getMany(bulk.map(([k]) => k))).toEqual(bulk.map(([, v]) => v));
            const health = Object.fromEntries(
              (await listMembers(consul!.config)).map((m) => [m.id, m.health]),
            );
            expect(health[coordinator]).toBe("passing");
          } finally {
            reconnect(cut);
          }
          const after = acked;
          await eventually(() => acked - after >= 100, 30_000, 50);
        } finally {
          await traffic.stop();
        }
        console.info(
          `e2e-netns-partition: ${coordinator} cut off; ${ackedWhileCut} writes acknowledged meanwhile, ` +
            `${acked} in all, failures ${JSON.stringify(Object.fromEntries(traffic.failures))}`,
        );
        expect(stale).toEqual([]);
        expect(await lostWrites(client, latest)).toEqual([]);

        // The cut node missed what was written while it was away: hints and anti-entropy bring
        // every copy to the same version on all three, with no repair command.
        const keys = [...latest.keys()];
        await eventually(async () => (await disagreeing(client, keys)).length === 0, 60_000, 500);
      } finally {
        await client.close();
      }
    });
  },
);
