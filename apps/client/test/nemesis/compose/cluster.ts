import { ClusterSettings, type ConsulConfig, replication } from "@zkv/membership";
import type { ClusterSource } from "../../../src/index.js";
import { COMPOSE_FILE, type ComposeStack } from "../../compose/stack.js";
import { startTestStack } from "../../compose/test-stack.js";
import { COMPOSE_NODES, type ComposeMode } from "./schedule.js";

/** A compose stack the nemesis runs against, and how this host reaches it. */
export interface ComposeCluster {
  readonly stack: ComposeStack;
  /** node-i is published on 127.0.0.1:basePort+i. */
  readonly basePort: number;
  /** Consul through its published port. */
  readonly consul: ConsulConfig;
  readonly mode: ComposeMode;
}

/**
 * A fresh stack in `mode`: Consul first (zkv/replication is written before any node starts),
 * then node-0 … node-3 and node-4 (waiting until an add-node names it), without the seed's load.
 * Removed again if it does not come up.
 */
export async function startComposeCluster(mode: ComposeMode): Promise<ComposeCluster> {
  const env = { ZKV_HASHING: mode.hashing, ZKV_FSYNC: mode.fsync };
  const { stack, basePort } = await startTestStack("zkvnemesis", [COMPOSE_FILE], env);
  try {
    await stack.must(["up", "-d", "consul"], 300_000);
    await stack.healthy(["consul"]);
    const consul = await hostConsul(stack);
    if (mode.replicas > 1) await new ClusterSettings(consul).setReplication(replication(mode.replicas));
    await stack.must(["--profile", "node-4", "up", "-d", ...COMPOSE_NODES, "node-4"], 300_000);
    return await attachComposeCluster(stack, basePort, mode);
  } catch (err) {
    await stack.destroy();
    throw err;
  }
}

/**
 * A stack already up (a test's), in `mode`, its four nodes healthy. The placement record is
 * written if absent (the one every party derives from cluster_size): the settle checks read it.
 */
export async function attachComposeCluster(
  stack: ComposeStack,
  basePort: number,
  mode: ComposeMode,
): Promise<ComposeCluster> {
  await stack.healthy([...COMPOSE_NODES]);
  await stack.passing([...COMPOSE_NODES]);
  const consul = await hostConsul(stack);
  const settings = new ClusterSettings(consul);
  const { record } = await settings.placementRecord();
  const derived = record ? undefined : await settings.placement();
  if (derived) await settings.writePlacement(derived, 0);
  return { stack, basePort, consul, mode };
}

/**
 * The cluster as a static list of published ports: node-0 … node-(nodes-1), placed as the stack
 * places them while its members are node-0 … node-3. (A client on this host cannot use Consul's
 * view: the nodes advertise their service names, which resolve only on the compose network.)
 */
export function publishedNodes(cluster: ComposeCluster, nodes: number = COMPOSE_NODES.length): ClusterSource {
  const { hashing, replicas } = cluster.mode;
  return { static: { nodes, host: "127.0.0.1", basePort: cluster.basePort, hashing, replicas } };
}

async function hostConsul(stack: ComposeStack): Promise<ConsulConfig> {
  return { host: "127.0.0.1", port: await stack.hostPort("consul", 8500), secure: false };
}
