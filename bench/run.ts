/**
 * `pnpm bench`: zkv against Redis, measured side by side in one run on this machine.
 *
 *   pnpm bench [--quick] [--keys N] [--nodes N] [--curve] [--only single,concurrent,bulk,durable,replicated]
 *   pnpm bench --scale [--sizes 100000,1000000,10000000]
 *
 * Workloads (each for zkv and for redis-server with redis-benchmark, 100-byte values):
 *   1. one caller, one request at a time: p50 latency       (redis-benchmark -c 1)
 *   2. 50 concurrent callers, single-key PUTs: ops/s        (redis-benchmark -c 50)
 *   3. bulk PUT then bulk GET of N 16-byte keys: ops/s      (redis-benchmark -P 16)
 *   4. memory per key after 3: zkv nodes' live heap (after a full GC) vs Redis used_memory, and
 *      resident memory (RSS) vs Redis used_memory_rss
 *   5. durable writes: 2 and 3's PUTs again on a fresh node with --data-dir and --fsync always
 *      (then batch) vs Redis with appendonly yes and appendfsync always (then everysec)
 *   6. replication: 2 and 3's PUTs again on 3 nodes keeping 3 copies (n=3, w=2), against a Redis
 *      primary with two replicas attached (the price of surviving a crashed machine)
 * --scale runs only 3 and 4 at each size instead (a fresh node and Redis per size), to show how
 * throughput and bytes per key change with the number of keys.
 * Also measures the transport's floor: a bare zeromq.js round trip between two processes; and the
 * 50-caller row's: the same callers over zeromq.js, JSON and a Map, with nothing of zkv (lockstep-floor.ts).
 * Prints one table (ratio > 1 means zkv is better), then the CPU each side spent per op (client
 * and server processes, user + system, all threads), and writes both to bench/results.json.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { measureCpu, measureRedisCpu } from "./cpu.js";
import { durableRows } from "./durable.js";
import { lockstepFloor } from "./lockstep-floor.js";
import { benchOptions } from "./options.js";
import { findRedis, flushRedis, redisBenchmark, redisMemory, startRedis } from "./redis.js";
import { replicatedRows } from "./replicated.js";
import { type CpuRows, type Floor, printResults, type Row, row } from "./results-table.js";
import { formatScale, scaleRows } from "./scale.js";
import { zeromqRoundTrip } from "./zeromq-floor.js";
import { bulkGet, bulkGetMany, bulkPut, bulkWarmUp, concurrent, sequential, startZkv } from "./zkv.js";

const { quick, keys, nodes, want, ...options } = benchOptions(process.argv.slice(2));
const seqN = quick ? 5_000 : 20_000;
/**
 * Round trips the single rows do first and do not count, the zeromq.js floor and zkv alike: both
 * are measured warm, as a node that has served a while runs (V8 compiles the hot path by then).
 */
const SINGLE_WARM_UP = 1000;
const conN = quick ? 50_000 : 200_000;
const durableConN = quick ? 50_000 : 100_000;
const durableBulkN = Math.min(keys, 500_000);
const step = (what: string) => console.error(`bench: ${what}`);
const loadAtStart = loadavg();
const cpuRows: CpuRows = {};

const haveRedis = findRedis();
const resultsFile = fileURLToPath(new URL("./results.json", import.meta.url));
if (options.scale) {
  const rows = await scaleRows(options.sizes, haveRedis, step);
  const load = `load average ${loadAtStart[0]!.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`;
  console.log(`\n${formatScale(rows)}\n${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${load}`);
  const at = new Date().toISOString();
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ at, loadavg: { start: loadAtStart, end: loadavg() }, scale: rows }, null, 2)}\n`,
  );
  process.exit(0);
}
const redis = haveRedis ? await startRedis() : undefined;
const zkv = await startZkv(nodes, { curve: options.curve });
/** redis-benchmark against the in-memory Redis, with its CPU per op; undefined without Redis. */
const redisRun = (ops: number, benchArgs: readonly string[]) =>
  redis && measureRedisCpu(redis.pid, ops, () => redisBenchmark(redis.port, benchArgs));
const results: Record<string, Row> = {};
let floor: Floor | undefined;
try {
  if (want("single")) {
    step(`0/6 zeromq.js round trip alone, ${seqN} times`);
    floor = await zeromqRoundTrip(seqN, SINGLE_WARM_UP);
    cpuRows.zeromq_floor = { zkv: floor.cpu };
    step(`1/6 one caller, ${seqN} sequential PUTs`);
    await sequential(zkv.client, SINGLE_WARM_UP, "warm:");
    const seq = await measureCpu(zkv.nodePids, seqN, () => sequential(zkv.client, seqN));
    const rSeq = redisRun(seqN, ["-t", "set", "-c", "1", "-n", String(seqN), "-d", "100"]);
    results.single_p50 = row(seq.result.p50ms, rSeq?.result.SET?.p50ms ?? null, "ms", false);
    results.single_p99 = row(seq.result.p99ms, rSeq?.result.SET?.p99ms ?? null, "ms", false);
    cpuRows.single = { zkv: seq.cpu, redis: rSeq?.cpu };
  }

  if (want("concurrent")) {
    step(`2/6 50 concurrent callers, ${conN} PUTs`);
    // Warm, as the floor below and the durable and replicated rows are: the single row before
    // sends one op per message, and leaves the batch path (client and node) to the JIT's first tiers.
    await concurrent(zkv.client, 50, Math.min(conN, 50_000), "warm:");
    const con = await measureCpu(zkv.nodePids, conN, () => concurrent(zkv.client, 50, conN));
    const rCon = redisRun(conN, ["-t", "set", "-c", "50", "-n", String(conN), "-d", "100"]);
    results.concurrent_ops = row(con.result, rCon?.result.SET?.rps ?? null, "ops/s", true);
    cpuRows.concurrent_ops = { zkv: con.cpu, redis: rCon?.cpu };
    step(`    the same 50 callers over zeromq.js and JSON alone (lockstep floor), ${conN} PUTs`);
    const lockstep = await lockstepFloor(50, conN);
    results.concurrent_floor = row(lockstep.opsPerSec, rCon?.result.SET?.rps ?? null, "ops/s", true);
    cpuRows.concurrent_floor = { zkv: lockstep.cpu };
  }

  if (want("bulk")) {
    if (redis) flushRedis(redis.port);
    // A full run's bulk rows take seconds each, a quick run's a fraction of one, most of it with
    // the bulk paths not yet compiled: warmed up first, a quick run shows what a full one does.
    if (quick) await bulkWarmUp(zkv.client);
    const rssBefore = zkv.rss();
    const heapBefore = await zkv.liveHeap();
    const redisBefore = redis && redisMemory(redis.port);
    step(`3/6 bulk PUT and GET of ${keys} keys`);
    const progress = (what: string, done: number) => step(`    ${what} ${Math.min(done, keys)}/${keys}`);
    const put = await measureCpu(zkv.nodePids, keys, () => bulkPut(zkv.client, keys, progress));
    const get = await measureCpu(zkv.nodePids, keys, () => bulkGet(zkv.client, keys, progress));
    step(`    bulk GET again with getMany, ${keys} keys`);
    const getMany = await measureCpu(zkv.nodePids, keys, () => bulkGetMany(zkv.client, keys));
    // SET then GET in two runs, so each has its own CPU figures; GET reads the keys SET wrote.
    const pipelined = ["-P", "16", "-n", String(keys), "-r", String(keys), "-d", "100"];
    const rPut = redisRun(keys, ["-t", "set", ...pipelined]);
    const rGet = redisRun(keys, ["-t", "get", ...pipelined]);
    results.bulk_put = row(put.result, rPut?.result.SET?.rps ?? null, "ops/s", true);
    results.bulk_get = row(get.result, rGet?.result.GET?.rps ?? null, "ops/s", true);
    cpuRows.bulk_put = { zkv: put.cpu, redis: rPut?.cpu };
    cpuRows.bulk_get = { zkv: get.cpu, redis: rGet?.cpu };
    results.bulk_get_many = row(getMany.result, rGet?.result.GET?.rps ?? null, "ops/s", true);
    cpuRows.bulk_get_many = { zkv: getMany.cpu, redis: rGet?.cpu };

    step("4/6 memory per key");
    const heapPerKey = ((await zkv.liveHeap()) - heapBefore) / keys;
    const rssPerKey = (zkv.rss() - rssBefore) / keys;
    const after = redis && redisMemory(redis.port);
    const perKey = (used: (m: { usedMemory: number; rss: number }) => number) =>
      after && redisBefore ? (used(after) - used(redisBefore)) / Math.max(1, after.keys) : null;
    results.memory_per_key = row(
      heapPerKey,
      perKey((m) => m.usedMemory),
      "bytes",
      false,
    );
    results.rss_per_key = row(
      rssPerKey,
      perKey((m) => m.rss),
      "bytes",
      false,
    );
  }
} finally {
  await zkv.stop();
  redis?.stop();
}
if (want("durable")) step("5/6 durable writes (--data-dir) vs Redis' append-only file");
for (const policy of want("durable") ? (["always", "batch"] as const) : []) {
  for (const d of await durableRows(policy, durableConN, durableBulkN, haveRedis, step)) {
    results[d.name] = row(d.zkv, d.redis, "ops/s", true);
    cpuRows[d.name] = d.cpu;
  }
}

if (want("replicated")) step("6/6 replication: 3 nodes, 3 copies of each key (n=3, w=2)");
for (const r of want("replicated") ? await replicatedRows(durableConN, durableBulkN, haveRedis, step) : []) {
  results[r.name] = row(r.zkv, r.redis, "ops/s", true);
  cpuRows[r.name] = r.cpu;
}

printResults({ keys, nodes, loadAtStart, results, cpuRows, floor });
writeFileSync(
  resultsFile,
  `${JSON.stringify(
    {
      keys,
      nodes,
      quick,
      at: new Date().toISOString(),
      cpu: cpus()[0]?.model,
      loadavg: { start: loadAtStart, end: loadavg() },
      ...results,
      zeromq_floor: floor,
      cpu_us_per_op: cpuRows,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nratio > 1 means zkv is better; written to ${resultsFile}`);
