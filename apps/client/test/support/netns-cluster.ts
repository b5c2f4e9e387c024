import { ClusterSettings, replication } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll } from "vitest";
import { createNetnsLab, type NetnsLab } from "./netns.js";
import { type NetnsNode, startNetnsNodes, stopNetnsNode } from "./netns-nodes.js";
import { reconnect } from "./netns-partition.js";

export interface NetnsClusterOptions {
  /** Nodes started at first, `node-0`… in the first hosts. */
  readonly nodes: number;
  /** Hosts in the lab, spares included, for nodes a test adds later; `nodes` when absent. */
  readonly hosts?: number;
  /** Copies of each key (Consul's replication setting); 1 when absent. */
  readonly copies?: number;
  /** The port every node listens on, in its own namespace. */
  readonly port: number;
  /** More `zkv-server` flags for every node. */
  readonly args?: readonly string[];
}

/** What a describe block gets: filled in by its beforeAll, torn down by its afterAll. */
export interface NetnsCluster {
  readonly lab: NetnsLab;
  readonly consul: TestConsul;
  /** Every node started so far; a test that starts one more adds it here, to be stopped with the rest. */
  readonly nodes: NetnsNode[];
}

/**
 * A lab of `hosts` hosts, a Consul on the lab's host address with `cluster_size` (and the copies)
 * set, and `node-<i>` running in host i for each of the first `nodes`, for the enclosing describe block. Its afterAll heals any
 * cut a failed test left, stops the nodes and Consul, and removes the namespaces.
 */
export function useNetnsCluster(options: NetnsClusterOptions): NetnsCluster {
  let lab: NetnsLab | undefined;
  let consul: TestConsul | undefined;
  const nodes: NetnsNode[] = [];

  beforeAll(async () => {
    lab = createNetnsLab(options.hosts ?? options.nodes);
    consul = await startTestConsul({ address: lab.hostAddress });
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(options.nodes);
    if (options.copies !== undefined) await settings.setReplication(replication(options.copies));
    nodes.push(...(await startNetnsNodes(lab, consul, options.port, options.args, options.nodes)));
  });

  afterAll(async () => {
    try {
      for (const host of lab?.hosts ?? []) {
        try {
          reconnect(host);
          lab!.linkUp(host);
        } catch {
          // a lab that failed half-built: destroy() removes what there is
        }
      }
      await Promise.all(nodes.map(stopNetnsNode));
      await consul?.stop();
    } finally {
      lab?.destroy();
    }
  });

  return {
    get lab() {
      return lab!;
    },
    get consul() {
      return consul!;
    },
    get nodes() {
      return nodes;
    },
  };
}
