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
 * Also measures the transport's floor: a bare zeromq.js round trip between two processes.
 * Prints one table (ratio > 1 means zkv is better), then the CPU each side spent per op (client
 * and server processes, user + system, all threads), and writes both to bench/results.json.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type CpuPerOp, measureCpu, measureRedisCpu } from "./cpu.js";
import { durableRows } from "./durable.js";
import { findRedis, flushRedis, redisBenchmark, redisMemory, startRedis } from "./redis.js";
import { replicatedRows } from "./replicated.js";
import { formatScale, scaleRows } from "./scale.js";
import { zeromqRoundTrip } from "./zeromq-floor.js";
import { bulkGet, bulkPut, concurrent, sequential, startZkv } from "./zkv.js";

const args = process.argv.slice(2).filter((a) => a !== "--");
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "usage: pnpm bench [--quick] [--keys N] [--nodes N] [--curve] [--only single,concurrent,bulk,durable,replicated]\n       pnpm bench --scale [--sizes 100000,1000000,10000000]   (see bench/run.ts)",
  );
  process.exit(0);
}
const quick = args.includes("--quick");
const keys = Number(flag("--keys") ?? (quick ? 100_000 : 1_000_000));
const nodes = Number(flag("--nodes") ?? 1);
const seqN = quick ? 5_000 : 20_000;
/**
 * Round trips the single rows do first and do not count, the zeromq.js floor and zkv alike: both
 * are measured warm, as a node that has served a while runs (V8 compiles the hot path by then).
 */
const SINGLE_WARM_UP = 1000;
const conN = quick ? 50_000 : 200_000;
const durableConN = quick ? 20_000 : 100_000;
const durableBulkN = Math.min(keys, quick ? 100_000 : 500_000);
const step = (what: string) => console.error(`bench: ${what}`);
/** --only: the workloads to run (all by default); a subset is for working on one path, not for the table. */
const only = flag("--only")?.split(",");
const want = (workload: "single" | "concurrent" | "bulk" | "durable" | "replicated") =>
  only === undefined || only.includes(workload);
const loadAtStart = loadavg();

interface Row {
  zkv: number;
  redis: number | null;
  unit: string;
  ratio: number | null;
}
const row = (zkv: number, redis: number | null, unit: string, higherIsBetter: boolean): Row => ({
  zkv,
  redis,
  unit,
  ratio: redis === null ? null : higherIsBetter ? zkv / redis : redis / zkv,
});
/** µs of CPU per op by row: zkv's client and node(s), redis-benchmark and redis-server. */
const cpuRows: Record<string, { zkv: CpuPerOp; redis?: CpuPerOp | undefined }> = {};

const haveRedis = findRedis();
const resultsFile = fileURLToPath(new URL("./results.json", import.meta.url));
if (args.includes("--scale")) {
  const sizes = (flag("--sizes") ?? "100000,1000000,10000000").split(",").map(Number);
  const rows = await scaleRows(sizes, haveRedis, step);
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
// --curve: zkv with CURVE on every connection (Redis has no equivalent; it runs as always).
const zkv = await startZkv(nodes, { curve: args.includes("--curve") });
/** redis-benchmark against the in-memory Redis, with its CPU per op; undefined without Redis. */
const redisRun = (ops: number, benchArgs: readonly string[]) =>
  redis && measureRedisCpu(redis.pid, ops, () => redisBenchmark(redis.port, benchArgs));
const results: Record<string, Row> = {};
let floor: { p50ms: number; p99ms: number; cpu: CpuPerOp } | undefined;
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
    const con = await measureCpu(zkv.nodePids, conN, () => concurrent(zkv.client, 50, conN));
    const rCon = redisRun(conN, ["-t", "set", "-c", "50", "-n", String(conN), "-d", "100"]);
    results.concurrent_ops = row(con.result, rCon?.result.SET?.rps ?? null, "ops/s", true);
    cpuRows.concurrent_ops = { zkv: con.cpu, redis: rCon?.cpu };
  }

  if (want("bulk")) {
    if (redis) flushRedis(redis.port);
    const rssBefore = zkv.rss();
    const heapBefore = await zkv.liveHeap();
    const redisBefore = redis && redisMemory(redis.port);
    step(`3/6 bulk PUT and GET of ${keys} keys`);
    const progress = (what: string, done: number) => step(`    ${what} ${Math.min(done, keys)}/${keys}`);
    const put = await measureCpu(zkv.nodePids, keys, () => bulkPut(zkv.client, keys, progress));
    const get = await measureCpu(zkv.nodePids, keys, () => bulkGet(zkv.client, keys, progress));
    // SET then GET in two runs, so each has its own CPU figures; GET reads the keys SET wrote.
    const pipelined = ["-P", "16", "-n", String(keys), "-r", String(keys), "-d", "100"];
    const rPut = redisRun(keys, ["-t", "set", ...pipelined]);
    const rGet = redisRun(keys, ["-t", "get", ...pipelined]);
    results.bulk_put = row(put.result, rPut?.result.SET?.rps ?? null, "ops/s", true);
    results.bulk_get = row(get.result, rGet?.result.GET?.rps ?? null, "ops/s", true);
    cpuRows.bulk_put = { zkv: put.cpu, redis: rPut?.cpu };
    cpuRows.bulk_get = { zkv: get.cpu, redis: rGet?.cpu };

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

const fmt = (n: number | null, unit: string) =>
  n === null
    ? "-"
    : unit === "ms"
      ? n.toFixed(3)
      : n >= 1000
        ? Math.round(n).toLocaleString("en-US")
        : n.toFixed(1);
console.log(
  `\nzkv vs Redis — ${keys.toLocaleString("en-US")} keys, ${nodes} zkv node(s), ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadAtStart[0]!.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`,
);
console.log(
  ["workload".padEnd(28), "zkv".padStart(12), "redis".padStart(12), "unit".padEnd(6), "ratio"].join("  "),
);
for (const [name, r] of Object.entries(results)) {
  console.log(
    [
      name.padEnd(28),
      fmt(r.zkv, r.unit).padStart(12),
      fmt(r.redis, r.unit).padStart(12),
      r.unit.padEnd(6),
      r.ratio === null ? "-" : `${r.ratio.toFixed(2)}x`,
    ].join("  "),
  );
}
console.log(
  `\nCPU per op, µs (user + system, all threads; "node" sums every zkv node)\n${[
    "workload".padEnd(28),
    "zkv client".padStart(10),
    "zkv node".padStart(10),
    "redis-bench".padStart(11),
    "redis-srv".padStart(10),
    "node/srv",
  ].join("  ")}`,
);
const us = (n: number | undefined, width: number) => (n === undefined ? "-" : n.toFixed(2)).padStart(width);
for (const [name, c] of Object.entries(cpuRows)) {
  const vs = c.redis && c.redis.node > 0 ? `${(c.zkv.node / c.redis.node).toFixed(2)}x` : "-";
  console.log(
    [
      name.padEnd(28),
      us(c.zkv.client, 10),
      us(c.zkv.node, 10),
      us(c.redis?.client, 11),
      us(c.redis?.node, 10),
      vs,
    ].join("  "),
  );
}
if (cpuRows.zeromq_floor)
  console.log('zeromq_floor: the echo below, "client" its DEALER, "node" the echo process');
if (floor) {
  console.log(
    `\nzeromq.js alone (echo between two processes, no zkv): p50 ${floor.p50ms.toFixed(3)} ms, p99 ${floor.p99ms.toFixed(3)} ms`,
  );
}
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
