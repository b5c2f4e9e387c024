import type { Server } from "node:net";
import { freePorts } from "@zkv/membership/testing";
import { afterEach } from "vitest";
import { createLogger } from "../../src/logger.js";
import { type NodeOptions, ZkvNode } from "../../src/node/node.js";
import { Harness } from "../helpers.js";

/**
 * The nodes (with metrics), dealers and port blockers of one test file, all closed after each test:
 * call once at the top of the file. `startNode` starts a node on free ports of 127.0.0.1, metrics
 * on a free port unless its options say otherwise; a test pushes the nodes it builds itself onto
 * `nodes`, and the servers it listens with onto `servers`.
 */
export function useMetricsNodes() {
  const harness = new Harness();
  const nodes: ZkvNode[] = [];
  const servers: Server[] = [];

  afterEach(async () => {
    await harness.cleanup();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function startNode(options: Partial<NodeOptions> = {}): Promise<ZkvNode> {
    const [port, metricsPort] = (await freePorts(2)) as [number, number];
    const node = new ZkvNode({
      nodeId: `metrics-${port}`,
      host: "127.0.0.1",
      port,
      metricsPort,
      logger: createLogger("silent", {}),
      ...options,
    });
    nodes.push(node);
    await node.start();
    return node;
  }

  return { harness, nodes, servers, startNode };
}
