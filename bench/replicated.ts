import { ZkvClient } from "@zkv/client";
import { ClusterSettings, replication } from "@zkv/membership";
import { startTestConsul } from "@zkv/membership/testing";
import { startZkvCluster, type ZkvTestCluster } from "@zkv/server/testing";
import { type CpuPerOp, measureCpu } from "./cpu.js";
import { bulkPut, concurrent, nodeFlagsFromEnv } from "./zkv.js";

/** zkv figures of the replicated workloads (n = 3, w = 2), named as in bench/results.json. */
export interface ReplicatedRow {
  readonly name: string;
  readonly zkv: number;
  /** µs of CPU per op: the client, and the three nodes together. */
  readonly cpu: CpuPerOp;
}

/**
 * Replication's cost: 3 nodes keeping 3 copies of every key (w = r = 2), so each write is
 * applied on its coordinator and acknowledged by one more replica before the reply. Replication
 * needs Consul (peers find each other there), so this starts a throwaway agent and a launcher.
 */
export async function replicatedRows(
  callersN: number,
  bulkN: number,
  step: (what: string) => void,
): Promise<ReplicatedRow[]> {
  step(`    zkv n=3 w=2: 50 callers x ${callersN} PUTs, then ${bulkN} bulk PUTs`);
  const consul = await startTestConsul();
  let cluster: ZkvTestCluster | undefined;
  try {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(3);
    await settings.setReplication(replication(3, 2, 2));
    cluster = await startZkvCluster({ env: consul.env, nodeFlags: nodeFlagsFromEnv(), stderr: "inherit" });
    const client = await ZkvClient.connect({ consul: consul.config, timeoutMs: 30_000 });
    try {
      const pids = () => cluster?.nodePids() ?? [];
      const con = await measureCpu(pids, callersN, () => concurrent(client, 50, callersN));
      const put = await measureCpu(pids, bulkN, () => bulkPut(client, bulkN));
      return [
        { name: "concurrent_ops_n3_w2", zkv: con.result, cpu: con.cpu },
        { name: "bulk_put_n3_w2", zkv: put.result, cpu: put.cpu },
      ];
    } finally {
      await client.close();
    }
  } finally {
    await cluster?.stop();
    await consul.stop();
  }
}
