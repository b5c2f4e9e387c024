import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CpuPerOp, measureCpu, measureRedisCpu } from "./cpu.js";
import { type RedisRow, redisBenchmark, startRedis } from "./redis.js";
import { bulkPut, concurrent, startZkv } from "./zkv.js";

/**
 * Writes before the measured ones, to keys of their own: a fresh node compiles its paths (tsx, the
 * JIT) during its first thousands of requests. As many as the in-memory 50-caller row's warm-up,
 * so the `batch` row, compared with that one, is measured as warm (with 20,000: 0.73×–0.82× of it
 * in two runs, with 50,000 0.84×–0.91×). Cold, a durable node cost 1.5–2 µs more per op.
 */
const WARM_UP_OPS = 50_000;

/** zkv and Redis figures of one durable workload. */
export interface DurableRow {
  readonly name: string;
  readonly zkv: number;
  readonly redis: number | null;
  /** µs of CPU per op: zkv's client and node, and redis-benchmark and redis-server. */
  readonly cpu: { readonly zkv: CpuPerOp; readonly redis?: CpuPerOp };
}

/**
 * Durable writes: zkv with `--data-dir` and `--fsync <policy>` against Redis with an append-only
 * file fsynced the matching way (always ↔ appendfsync always, batch ↔ everysec), both writing to
 * a temp dir on the same disk. Two shapes: 50 concurrent callers of single PUTs (what group
 * commit is for) and a bulk load (BATCHes of 1000, 16 in flight; redis-benchmark -P 16).
 */
export async function durableRows(
  policy: "always" | "batch",
  callersN: number,
  bulkN: number,
  withRedis: boolean,
  step: (what: string) => void,
): Promise<DurableRow[]> {
  const dir = mkdtempSync(join(tmpdir(), `zkv-bench-${policy}-`));
  try {
    step(`    zkv --fsync ${policy}: 50 callers x ${callersN} PUTs, then ${bulkN} bulk PUTs`);
    const zkv = await startZkv(1, { dataDir: join(dir, "zkv"), fsync: policy });
    let con: { result: number; cpu: CpuPerOp };
    let put: { result: number; cpu: CpuPerOp };
    try {
      await concurrent(zkv.client, 50, WARM_UP_OPS, "warm:");
      con = await measureCpu(zkv.nodePids, callersN, () => concurrent(zkv.client, 50, callersN));
      put = await measureCpu(zkv.nodePids, bulkN, () => bulkPut(zkv.client, bulkN));
    } finally {
      await zkv.stop();
    }
    let rCon: { result: RedisRow | undefined; cpu: CpuPerOp } | undefined;
    let rPut: { result: RedisRow | undefined; cpu: CpuPerOp } | undefined;
    if (withRedis) {
      const fsync = policy === "always" ? "always" : "everysec";
      step(`    redis appendfsync ${fsync}`);
      const redis = await startRedis({ dir, fsync });
      try {
        rCon = measureRedisCpu(
          redis.pid,
          callersN,
          () =>
            redisBenchmark(redis.port, ["-t", "set", "-c", "50", "-n", String(callersN), "-d", "100"]).SET,
        );
        rPut = measureRedisCpu(
          redis.pid,
          bulkN,
          () =>
            redisBenchmark(redis.port, [
              ...["-t", "set", "-P", "16", "-n", String(bulkN), "-r", String(bulkN), "-d", "100"],
            ]).SET,
        );
      } finally {
        redis.stop();
      }
    }
    const row = (
      name: string,
      zkv: { result: number; cpu: CpuPerOp },
      redis: { result: RedisRow | undefined; cpu: CpuPerOp } | undefined,
    ): DurableRow => ({
      name,
      zkv: zkv.result,
      redis: redis?.result?.rps ?? null,
      cpu: { zkv: zkv.cpu, ...(redis ? { redis: redis.cpu } : {}) },
    });
    return [row(`concurrent_ops_fsync_${policy}`, con, rCon), row(`bulk_put_fsync_${policy}`, put, rPut)];
  } finally {
    // A killed Redis's AOF-rewrite child may still be writing here (it outlives its parent by
    // seconds on a busy disk): retry, and if it is still at it, leave the dir and say so rather
    // than lose the whole run's figures.
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 25, retryDelay: 400 });
    } catch (err) {
      console.error(`bench: could not remove ${dir}: ${(err as Error).message}`);
    }
  }
}
