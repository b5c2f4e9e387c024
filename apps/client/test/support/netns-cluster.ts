import { ClusterSettings, replication } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll } from "vitest";
import { createNetnsLab, type NetnsLab } from "./netns.js";
import { type NetnsNode, startNetnsNodes, stopNetnsNode } from "./netns-nodes.js";
import { reconnect } from "./netns-partition.js";

export interface NetnsClusterOptions {
  readonly nodes: number;
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
  readonly nodes: readonly NetnsNode[];
}

/**
 * A lab of `nodes` hosts, a Consul on the lab's host address with `cluster_size` (and the copies)
 * set, and `node-<i>` running in host i, for the enclosing describe block. Its afterAll heals any
 * cut a failed test left, stops the nodes and Consul, and removes the namespaces.
 */
export function useNetnsCluster(options: NetnsClusterOptions): NetnsCluster {
  let lab: NetnsLab | undefined;
  let consul: TestConsul | undefined;
  let nodes: NetnsNode[] = [];

  beforeAll(async () => {
    lab = createNetnsLab(options.nodes);
    consul = await startTestConsul({ address: lab.hostAddress });
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(options.nodes);
    if (options.copies !== undefined) await settings.setReplication(replication(options.copies));
    nodes = await startNetnsNodes(lab, consul, options.port, options.args);
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
