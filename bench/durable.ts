import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisRow, redisBenchmark, startRedis } from "./redis.js";
import { bulk, concurrent, startZkv } from "./zkv.js";

/** zkv and Redis figures of one durable workload. */
export interface DurableRow {
  readonly name: string;
  readonly zkv: number;
  readonly redis: number | null;
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
    let con: number;
    let put: number;
    try {
      con = await concurrent(zkv.client, 50, callersN);
      put = (await bulk(zkv.client, bulkN, () => {}, { skipGet: true })).put;
    } finally {
      await zkv.stop();
    }
    let rCon: RedisRow | undefined;
    let rPut: RedisRow | undefined;
    if (withRedis) {
      const fsync = policy === "always" ? "always" : "everysec";
      step(`    redis appendfsync ${fsync}`);
      const redis = await startRedis({ dir, fsync });
      try {
        rCon = redisBenchmark(redis.port, ["-t", "set", "-c", "50", "-n", String(callersN), "-d", "100"]).SET;
        rPut = redisBenchmark(redis.port, [
          ...["-t", "set", "-P", "16", "-n", String(bulkN), "-r", String(bulkN), "-d", "100"],
        ]).SET;
      } finally {
        redis.stop();
      }
    }
    return [
      { name: `concurrent_ops_fsync_${policy}`, zkv: con, redis: rCon?.rps ?? null },
      { name: `bulk_put_fsync_${policy}`, zkv: put, redis: rPut?.rps ?? null },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
