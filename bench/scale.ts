import { type CpuPerOp, measureCpu, measureRedisCpu } from "./cpu.js";
import { redisBenchmark, redisMemory, startRedis } from "./redis.js";
import { bulkGet, bulkPut, startZkv } from "./zkv.js";

/** One size's figures: bulk ops/s, CPU per op and bytes per key, zkv and Redis. */
export interface ScaleRow {
  readonly keys: number;
  readonly zkv: ScaleSide;
  readonly redis: ScaleSide | undefined;
}
interface ScaleSide {
  readonly putOps: number;
  readonly getOps: number;
  readonly putCpu: CpuPerOp;
  readonly getCpu: CpuPerOp;
  /** Live bytes per key: zkv's heap (and the Buffers it owns) after a full GC, Redis' used_memory. */
  readonly livePerKey: number;
  readonly rssPerKey: number;
}

/**
 * `pnpm bench --scale`: the bulk rows and memory per key at each size, a fresh node and a fresh
 * Redis for each, so one size's garbage or heap growth does not count in the next.
 */
export async function scaleRows(
  sizes: readonly number[],
  haveRedis: boolean,
  step: (what: string) => void,
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const keys of sizes) {
    step(`scale: ${keys} keys, zkv`);
    const zkv = await startZkv(1);
    let zkvSide: ScaleSide;
    try {
      const rssBefore = zkv.rss();
      const liveBefore = await zkv.liveHeap();
      const progress = (what: string, done: number) =>
        done % 1_000_000 === 0 && step(`    ${what} ${Math.min(done, keys)}/${keys}`);
      const put = await measureCpu(zkv.nodePids, keys, () => bulkPut(zkv.client, keys, progress));
      const get = await measureCpu(zkv.nodePids, keys, () => bulkGet(zkv.client, keys, progress));
      zkvSide = {
        putOps: put.result,
        getOps: get.result,
        putCpu: put.cpu,
        getCpu: get.cpu,
        livePerKey: ((await zkv.liveHeap()) - liveBefore) / keys,
        rssPerKey: (zkv.rss() - rssBefore) / keys,
      };
    } finally {
      await zkv.stop();
    }
    rows.push({ keys, zkv: zkvSide, redis: haveRedis ? await redisSide(keys, step) : undefined });
  }
  return rows;
}

async function redisSide(keys: number, step: (what: string) => void): Promise<ScaleSide> {
  step(`scale: ${keys} keys, Redis`);
  const redis = await startRedis();
  try {
    const before = redisMemory(redis.port);
    const pipelined = ["-P", "16", "-n", String(keys), "-r", String(keys), "-d", "100"];
    const put = measureRedisCpu(redis.pid, keys, () =>
      redisBenchmark(redis.port, ["-t", "set", ...pipelined]),
    );
    const get = measureRedisCpu(redis.pid, keys, () =>
      redisBenchmark(redis.port, ["-t", "get", ...pipelined]),
    );
    const after = redisMemory(redis.port);
    return {
      putOps: put.result.SET?.rps ?? Number.NaN,
      getOps: get.result.GET?.rps ?? Number.NaN,
      putCpu: put.cpu,
      getCpu: get.cpu,
      livePerKey: (after.usedMemory - before.usedMemory) / Math.max(1, after.keys),
      rssPerKey: (after.rss - before.rss) / Math.max(1, after.keys),
    };
  } finally {
    redis.stop();
  }
}

/** The table `pnpm bench --scale` prints. */
export function formatScale(rows: readonly ScaleRow[]): string {
  const n = (x: number | undefined, digits = 0) =>
    x === undefined || Number.isNaN(x)
      ? "-"
      : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const head = [
    "keys".padStart(12),
    "put ops/s".padStart(21),
    "get ops/s".padStart(21),
    "node µs/put".padStart(13),
    "node µs/get".padStart(13),
    "live B/key".padStart(15),
    "rss B/key".padStart(15),
  ].join("  ");
  const pair = (z: number, r: number | undefined, width: number, digits = 0) =>
    `${n(z, digits)} / ${n(r, digits)}`.padStart(width);
  const lines = rows.map((row) =>
    [
      n(row.keys).padStart(12),
      pair(row.zkv.putOps, row.redis?.putOps, 21),
      pair(row.zkv.getOps, row.redis?.getOps, 21),
      pair(row.zkv.putCpu.node, row.redis?.putCpu.node, 13, 2),
      pair(row.zkv.getCpu.node, row.redis?.getCpu.node, 13, 2),
      pair(row.zkv.livePerKey, row.redis?.livePerKey, 15, 1),
      pair(row.zkv.rssPerKey, row.redis?.rssPerKey, 15, 1),
    ].join("  "),
  );
  return [
    `zkv / Redis by size (bulk, 16-byte keys, 100-byte values; a fresh server per size)`,
    head,
    ...lines,
  ].join("\n");
}
