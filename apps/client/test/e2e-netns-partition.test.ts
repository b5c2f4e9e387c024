import { listMembers, REPLICA_STATE_META } from "@zkv/membership";
import { eventually } from "@zkv/membership/testing";
import { describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { coordinatorOf } from "../src/lib/cluster/coordinator.js";
import { runCli } from "./support/cluster.js";
import { type NetnsHost, netnsUnavailableReason } from "./support/netns.js";
import { useNetnsCluster } from "./support/netns-cluster.js";
import { cutOff, cutOffClients, cutOffConsul, reconnect } from "./support/netns-partition.js";
import { keysOffTheirReplicas } from "./support/replica-copies.js";
import { lostWrites, startWorkload, type WorkloadReport } from "./support/workload.js";

/**
 * Partitions nobody pictured in the other tests, each cutting the node that coordinates every key
 * (three nodes, each in its own network namespace, 3 copies of every key, w = r = 2: every key
 * has the same replicas) off from one party only: its peers, the client, or Consul. In the first
 * two Consul keeps it passing (its heartbeat gets through), so the client keeps choosing it. Before
 * the fix, cut off from its peers it refused every write and quorum read until the cut healed,
 * two replicas that could serve them standing by.
 */

const NODES = 3;
const PORT = 2000;
const KEYS = 100;
const METRICS_PORT = 9100;

/** A node's `zkv_peers_unreachable`, scraped from its /metrics in its namespace. */
async function unreachableGauge(host: NetnsHost): Promise<number> {
  const text = await (await fetch(`http://${host.address}:${METRICS_PORT}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("zkv_peers_unreachable"));
  return Number(line?.split(" ").pop());
}

const skipReason = netnsUnavailableReason();
if (skipReason) console.warn(`e2e-netns-partition skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  skipReason
    ? `partitions that Consul does not see (skipped: ${skipReason})`
    : "partitions that Consul does not see",
  () => {
    const fx = useNetnsCluster({
      nodes: NODES,
      copies: 3,
      port: PORT,
      args: ["--anti-entropy-interval", "1", "--metrics-port", String(METRICS_PORT)],
    });

    /**
     * Traffic on the cluster (startWorkload's writer and reader) while `cutCoordinator` cuts the
     * node that coordinates every key (they all share one replica set) one way or another. The
     * cut holds until 300 writes and a bulk load were acknowledged through the others. Then: nothing acknowledged lost, and every key at the same version on
     * all three nodes, the cut one included, with no repair command.
     */
    async function survivesCut(
      name: string,
      cutCoordinator: (host: NetnsHost) => void,
      whileCut: (coordinator: string) => Promise<void> = async () => {},
      healthWhileCut: "passing" | "critical" = "passing",
    ): Promise<void> {
      const client = await ZkvClient.connect({ consul: fx.consul.config, timeoutMs: 3000 });
      try {
        await eventually(
          () =>
            client.members.length === NODES &&
            client.members.every(
              (m) => m.health === "passing" && m.meta[REPLICA_STATE_META] !== "bootstrapping",
            ),
          30_000,
        );
        const coordinator = coordinatorOf(client.replicasOf("any"), () => true);
        expect((await eventually(() => client.put(`${name}-first`, "x"), 20_000)).node).toBe(coordinator);
        const host = fx.lab.hosts[Number(coordinator.slice("node-".length))]!;

        // A writer overwrites KEYS keys with increasing numbers; a reader checks it never reads a
        // key older than what was acknowledged before the read began.
        const traffic = startWorkload(client, `${name}-`, KEYS);
        const failures = () => JSON.stringify(Object.fromEntries(traffic.failures));

        let ackedWhileCut = 0;
        let report: WorkloadReport;
        try {
          await eventually(() => traffic.acked >= 200, 20_000);
          cutCoordinator(host);
          try {
            const before = traffic.acked;
            await eventually(() => traffic.acked - before >= 300, 30_000, 50).catch((err: Error) => {
              throw new Error(
                `${err.message}: ${traffic.acked - before} acknowledged while cut; failures ${failures()}`,
              );
            });
            ackedWhileCut = traffic.acked - before;
            // Bulk too: every entry the cut node refuses goes again, through a replica that can.
            const bulk = Array.from({ length: 500 }, (_, i) => [`${name}-bulk-${i}`, `b${i}`] as const);
            await client.putMany(bulk);
            expect(await client.getMany(bulk.map(([k]) => k))).toEqual(bulk.map(([, v]) => v));
            await whileCut(coordinator);
            const health = Object.fromEntries(
              (await listMembers(fx.consul.config)).map((m) => [m.id, m.health]),
            );
            expect(health[coordinator]).toBe(healthWhileCut);
          } finally {
            reconnect(host);
          }
          const after = traffic.acked;
          await eventually(() => traffic.acked - after >= 100, 30_000, 50);
        } finally {
          report = await traffic.stop();
        }
        console.info(
          `e2e-netns-partition (${name}): ${coordinator} cut; ${ackedWhileCut} writes acknowledged meanwhile, ` +
            `${report.acked} in all, failures ${failures()}`,
        );
        expect(report.staleReads).toEqual([]);
        expect(await lostWrites(client, report.latest)).toEqual([]);
        const keys = [...report.latest.keys()];
        const ids = Array.from({ length: NODES }, (_, i) => `node-${i}`);
        await eventually(
          async () => (await keysOffTheirReplicas(client, ids, keys)).length === 0,
          60_000,
          500,
        );
      } finally {
        await client.close();
      }
    }

    it("a coordinator cut off from its peers only: the other two serve, nothing acknowledged is lost, it catches up, and `zkv nodes` tells", async () => {
      await survivesCut(
        "peers",
        (host) =>
          cutOff(
            host,
            fx.lab.hosts.filter((h) => h !== host),
          ),
        async (coordinator) => {
          // Consul shows every node passing; each side of the cut says it cannot reach the other.
          const others = ["node-0", "node-1", "node-2"].filter((id) => id !== coordinator);
          const nodes = await runCli(["nodes"], fx.consul.env);
          expect(nodes.code, nodes.stderr).toBe(0);
          expect(nodes.stderr).toContain(
            `${coordinator} cannot reach ${others.join(", ")}, which Consul shows passing`,
          );
          for (const other of others) expect(nodes.stderr).toContain(`${other} cannot reach ${coordinator},`);
          // And Prometheus: 2 on the cut node, 1 on each of the others.
          const gauges = await Promise.all(fx.lab.hosts.map(unreachableGauge));
          expect(gauges).toEqual(fx.lab.hosts.map((_, i) => (`node-${i}` === coordinator ? 2 : 1)));
        },
      );
      // Healed: nobody reports a cut any more.
      await eventually(async () => {
        const nodes = await runCli(["nodes", "--json"], fx.consul.env);
        const { members } = JSON.parse(nodes.stdout) as {
          members: Array<{ stats?: { unreachablePeers?: string[] } }>;
        };
        return members.length === NODES && members.every((m) => m.stats?.unreachablePeers?.length === 0);
      }, 30_000);
    });

    it("a coordinator cut off from the client only: the other two serve, nothing acknowledged is lost", async () => {
      await survivesCut("client", (host) => cutOffClients(host, fx.lab.hostAddress, PORT));
    });

    it("a coordinator cut off from Consul only: it turns critical, the other two serve, nothing acknowledged is lost, it catches up", async () => {
      await survivesCut(
        "consul",
        (host) => cutOffConsul(host, fx.consul.config.host, fx.consul.config.port),
        async (coordinator) => {
          // Its heartbeat cannot get through: critical, and passing again once the cut heals.
          await eventually(async () => {
            const members = await listMembers(fx.consul.config);
            return members.find((m) => m.id === coordinator)?.health === "critical";
          }, 15_000);
        },
        "critical",
      );
      await eventually(async () => {
        const members = await listMembers(fx.consul.config);
        return members.length === NODES && members.every((m) => m.health === "passing");
      }, 15_000);
    });
  },
);
