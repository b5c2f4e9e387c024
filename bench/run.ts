/**
 * `pnpm bench`: zkv against Redis, measured side by side in one run on this machine.
 *
 *   pnpm bench [--quick] [--keys N] [--nodes N] [--curve]
 *
 * Workloads (each for zkv and for redis-server with redis-benchmark, 100-byte values):
 *   1. one caller, one request at a time: p50 latency       (redis-benchmark -c 1)
 *   2. 50 concurrent callers, single-key PUTs: ops/s        (redis-benchmark -c 50)
 *   3. bulk PUT then bulk GET of N 16-byte keys: ops/s      (redis-benchmark -P 16)
 *   4. memory per key after 3: zkv nodes' live heap (after a full GC) vs Redis used_memory, and
 *      resident memory (RSS) vs Redis used_memory_rss
 *   5. durable writes: 2 and 3's PUTs again on a fresh node with --data-dir and --fsync always
 *      (then batch) vs Redis with appendonly yes and appendfsync always (then everysec)
 *   6. replication: 2 and 3's PUTs again on 3 nodes keeping 3 copies (n=3, w=2), against the same
 *      single Redis as 2 and 3 (the price of surviving a crashed machine)
 * Also measures the transport's floor: a bare zeromq.js round trip between two processes.
 * Prints one table (ratio > 1 means zkv is better) and writes bench/results.json.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { durableRows } from "./durable.js";
import { findRedis, flushRedis, type RedisRow, redisBenchmark, redisMemory, startRedis } from "./redis.js";
import { replicatedRows } from "./replicated.js";
import { zeromqRoundTrip } from "./zeromq-floor.js";
import { bulk, concurrent, sequential, startZkv } from "./zkv.js";

const args = process.argv.slice(2).filter((a) => a !== "--");
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
if (args.includes("--help") || args.includes("-h")) {
  console.log("usage: pnpm bench [--quick] [--keys N] [--nodes N] [--curve]   (see bench/run.ts)");
  process.exit(0);
}
const quick = args.includes("--quick");
const keys = Number(flag("--keys") ?? (quick ? 100_000 : 1_000_000));
const nodes = Number(flag("--nodes") ?? 1);
const seqN = quick ? 5_000 : 20_000;
const conN = quick ? 50_000 : 200_000;
const durableConN = quick ? 20_000 : 100_000;
const durableBulkN = Math.min(keys, quick ? 100_000 : 500_000);
const step = (what: string) => console.error(`bench: ${what}`);

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

const haveRedis = findRedis();
const redis = haveRedis ? await startRedis() : undefined;
// --curve: zkv with CURVE on every connection (Redis has no equivalent; it runs as always).
const zkv = await startZkv(nodes, { curve: args.includes("--curve") });
const results: Record<string, Row> = {};
let redisCon: number | null = null;
let redisBulkPut: number | null = null;
let floor: { p50ms: number; p99ms: number } | undefined;
try {
  step(`0/6 zeromq.js round trip alone, ${seqN} times`);
  floor = await zeromqRoundTrip(seqN);

  step(`1/6 one caller, ${seqN} sequential PUTs`);
  const seq = await sequential(zkv.client, seqN);
  const rSeq: RedisRow | undefined =
    redis && redisBenchmark(redis.port, ["-t", "set", "-c", "1", "-n", String(seqN), "-d", "100"]).SET;
  results.single_p50 = row(seq.p50ms, rSeq?.p50ms ?? null, "ms", false);
  results.single_p99 = row(seq.p99ms, rSeq?.p99ms ?? null, "ms", false);

  step(`2/6 50 concurrent callers, ${conN} PUTs`);
  const con = await concurrent(zkv.client, 50, conN);
  const rCon =
    redis && redisBenchmark(redis.port, ["-t", "set", "-c", "50", "-n", String(conN), "-d", "100"]).SET;
  results.concurrent_ops = row(con, rCon?.rps ?? null, "ops/s", true);
  redisCon = rCon?.rps ?? null;

  if (redis) flushRedis(redis.port);
  const rssBefore = zkv.rss();
  const heapBefore = await zkv.liveHeap();
  const redisBefore = redis && redisMemory(redis.port);
  step(`3/6 bulk PUT and GET of ${keys} keys`);
  const b = await bulk(zkv.client, keys, (what, done) => step(`    ${what} ${Math.min(done, keys)}/${keys}`));
  const rBulk =
    redis &&
    redisBenchmark(redis.port, [
      "-t",
      "set,get",
      "-P",
      "16",
      "-n",
      String(keys),
      "-r",
      String(keys),
      "-d",
      "100",
    ]);
  results.bulk_put = row(b.put, rBulk?.SET?.rps ?? null, "ops/s", true);
  results.bulk_get = row(b.get, rBulk?.GET?.rps ?? null, "ops/s", true);
  redisBulkPut = rBulk?.SET?.rps ?? null;

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
} finally {
  await zkv.stop();
  redis?.stop();
}
step("5/6 durable writes (--data-dir) vs Redis' append-only file");
for (const policy of ["always", "batch"] as const) {
  for (const d of await durableRows(policy, durableConN, durableBulkN, haveRedis, step)) {
    results[d.name] = row(d.zkv, d.redis, "ops/s", true);
  }
}

step("6/6 replication: 3 nodes, 3 copies of each key (n=3, w=2)");
for (const r of await replicatedRows(durableConN, durableBulkN, step)) {
  results[r.name] = row(r.zkv, r.name.startsWith("bulk") ? redisBulkPut : redisCon, "ops/s", true);
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
  `\nzkv vs Redis — ${keys.toLocaleString("en-US")} keys, ${nodes} zkv node(s), ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`,
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
if (floor) {
  console.log(
    `\nzeromq.js alone (echo between two processes, no zkv): p50 ${floor.p50ms.toFixed(3)} ms, p99 ${floor.p99ms.toFixed(3)} ms`,
  );
}
const file = fileURLToPath(new URL("./results.json", import.meta.url));
writeFileSync(
  file,
  `${JSON.stringify({ keys, nodes, quick, at: new Date().toISOString(), ...results, zeromq_floor: floor }, null, 2)}\n`,
);
console.log(`\nratio > 1 means zkv is better; written to ${file}`);
