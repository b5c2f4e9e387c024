import { ZkvClient } from "@zkv/client";
import { ClusterSettings, replication } from "@zkv/membership";
import { startTestConsul } from "@zkv/membership/testing";
import { startZkvCluster, type ZkvTestCluster } from "@zkv/server/testing";
import { type CpuPerOp, measureCpu, measureRedisCpu, processCpuSeconds } from "./cpu.js";
import { type RedisRow, redisBenchmark, startRedisReplicated } from "./redis.js";
import { bulkPut, concurrent, nodeFlagsFromEnv } from "./zkv.js";

/** Writes before the measured ones, to keys of their own. */
const WARM_UP_OPS = 10_000;

/** The replicated workloads (n = 3, w = 2), named as in bench/results.json, zkv and Redis. */
export interface ReplicatedRow {
  readonly name: string;
  readonly zkv: number;
  /** A Redis primary with two replicas, same workload; null without Redis. */
  readonly redis: number | null;
  /** µs of CPU per op: the client and the three nodes together; redis-benchmark and the three redis-servers. */
  readonly cpu: { readonly zkv: CpuPerOp; readonly redis?: CpuPerOp };
}

/**
 * Replication's cost: 3 nodes keeping 3 copies of every key (w = r = 2), so each write is
 * applied on its coordinator and acknowledged by one more replica before the reply. Replication
 * needs Consul (peers find each other there), so this starts a throwaway agent and a launcher.
 * The reference is a Redis primary with two replicas attached, measured on the same workloads
 * (Redis acknowledges before its replicas have the write; zkv after w of them have it).
 */
export async function replicatedRows(
  callersN: number,
  bulkN: number,
  withRedis: boolean,
  step: (what: string) => void,
): Promise<ReplicatedRow[]> {
  const zkv = await zkvReplicated(callersN, bulkN, step);
  let redis: Array<{ result: RedisRow | undefined; cpu: CpuPerOp }> | undefined;
  if (withRedis) {
    step("    redis primary + 2 replicas");
    const primary = await startRedisReplicated();
    try {
      const run = (n: number, args: string[]) =>
        measureRedisCpu(primary.pids, n, () => redisBenchmark(primary.port, args).SET);
      redis = [
        run(callersN, ["-t", "set", "-c", "50", "-n", String(callersN), "-d", "100"]),
        run(bulkN, ["-t", "set", "-P", "16", "-n", String(bulkN), "-r", String(bulkN), "-d", "100"]),
      ];
    } finally {
      primary.stop();
    }
  }
  return zkv.map((row, i) => ({
    name: row.name,
    zkv: row.zkv,
    redis: redis?.[i]?.result?.rps ?? null,
    cpu: { zkv: row.cpu, ...(redis?.[i] ? { redis: redis[i]!.cpu } : {}) },
  }));
}

async function zkvReplicated(
  callersN: number,
  bulkN: number,
  step: (what: string) => void,
): Promise<Array<{ name: string; zkv: number; cpu: CpuPerOp }>> {
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
      // Unmeasured first: three freshly started nodes compile their paths (tsx, the JIT) during
      // the first second or so of writes, which a 20k-op quick run would mostly measure.
      await concurrent(client, 50, WARM_UP_OPS, "warm:");
      const con = await perNode("concurrent_ops_n3_w2", pids(), callersN, step, () =>
        measureCpu(pids, callersN, () => concurrent(client, 50, callersN)),
      );
      const put = await perNode("bulk_put_n3_w2", pids(), bulkN, step, () =>
        measureCpu(pids, bulkN, () => bulkPut(client, bulkN)),
      );
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

/**
 * Runs `work` and tells, per node, its µs of CPU per op: a coordinator's share is not a replica's,
 * and the table's one sum hides which one a change moved.
 */
async function perNode<T>(
  name: string,
  pids: readonly number[],
  ops: number,
  step: (what: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const before = pids.map(processCpuSeconds);
  const result = await work();
  const each = pids.map((pid, i) => (((processCpuSeconds(pid) - before[i]!) / ops) * 1e6).toFixed(2));
  step(`    ${name}: CPU per op, µs, per node: ${each.join(" + ")}`);
  return result;
}
