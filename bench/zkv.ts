import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ZkvClient } from "@zkv/client";
import { freePortRange } from "@zkv/membership/testing";
import type { StatsReply } from "@zkv/protocol";
import { startZkvCluster } from "@zkv/server/testing";

const CLIENT_MAIN = fileURLToPath(new URL("../apps/client/src/main.ts", import.meta.url));

/**
 * Keys for a CURVE run, made with `zkv keygen` as an operator would: the nodes' pair, the
 * client's pair, and the environment that turns CURVE on in the launcher and its nodes.
 */
function curveSetup() {
  const dir = mkdtempSync(join(tmpdir(), "zkv-bench-curve-"));
  const read = (file: string) => readFileSync(join(dir, file), "utf8").trim();
  for (const name of ["node", "client"]) {
    const run = spawnSync(process.execPath, [
      "--import",
      "tsx",
      CLIENT_MAIN,
      "keygen",
      "--out",
      dir,
      "--name",
      name,
    ]);
    if (run.status !== 0) throw new Error(`zkv keygen failed: ${run.stderr}`);
  }
  return {
    env: {
      ZKV_CURVE_SECRET_KEY_FILE: join(dir, "node.key"),
      ZKV_CURVE_ALLOWED_CLIENTS_FILE: join(dir, "client.pub"),
    },
    curve: {
      identity: { publicKey: read("client.pub"), secretKey: read("client.key") },
      serverKey: read("node.pub"),
    },
  };
}

/** How the bench's nodes run: in memory (the default) or on disk under a policy, with or without CURVE. */
export interface ZkvOptions {
  /** `--data-dir`: node-i writes `<dataDir>/node-i`. */
  readonly dataDir?: string;
  /** `--fsync`, with a data dir. */
  readonly fsync?: "always" | "batch" | "off";
  readonly curve?: boolean;
}

/**
 * A static zkv cluster (phase 1: no Consul needed) and a client connected to it; with `curve`,
 * every connection is CURVE-encrypted and authenticated.
 */
export async function startZkv(nodes: number, options: ZkvOptions = {}) {
  const security = options.curve ? curveSetup() : undefined;
  const basePort = await freePortRange(nodes);
  const storage = [
    ...(options.dataDir ? ["--data-dir", options.dataDir] : []),
    ...(options.fsync ? ["--fsync", options.fsync] : []),
  ];
  const cluster = await startZkvCluster({
    basePort,
    args: ["--nodes", String(nodes), ...storage],
    // --expose-gc lets STATS {"gc":true} measure live memory, like Redis' used_memory.
    // e.g. ZKV_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the nodes.
    nodeFlags: ["--expose-gc", ...nodeFlagsFromEnv()],
    env: security?.env ?? {},
    stderr: "inherit",
  });
  const client = await ZkvClient.connect({
    static: { nodes, basePort },
    timeoutMs: 30_000,
    ...(security ? { curve: security.curve } : {}),
  });
  return {
    client,
    launcherPid: cluster.child.pid!,
    /** Pids of the node processes (for their CPU time). */
    nodePids: () => cluster.nodePids(),
    /** Live V8 heap of every node after a full collection, in bytes (what Redis' used_memory is). */
    async liveHeap(): Promise<number> {
      let sum = 0;
      for (let i = 0; i < nodes; i++) {
        const stats = (await client.request(`node-${i}`, { op: "STATS", gc: true })) as StatsReply;
        sum += stats.heapUsedBytes;
      }
      return sum;
    },
    /** Resident memory of every node process, in bytes (what the OS gives the store). */
    rss(): number {
      const pids = cluster.nodePids();
      return pids.reduce(
        (sum, pid) =>
          sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
        0,
      );
    },
    /** SIGTERM to the launcher and its nodes; resolves once the launcher is gone (its data dir free). */
    async stop(): Promise<void> {
      await client.close();
      await cluster.stop();
    },
  };
}

/** Extra node flags for profiling, from ZKV_BENCH_NODE_FLAGS. */
export function nodeFlagsFromEnv(): string[] {
  return process.env.ZKV_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
}

/** Percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** One caller, one request at a time: per-request latencies in ms. */
export async function sequential(
  client: ZkvClient,
  n: number,
  prefix = "seq:",
): Promise<{ rps: number; p50ms: number; p99ms: number }> {
  const lat: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.put(`${prefix}${String(i).padStart(12, "0")}`, "x".repeat(100));
    lat.push(performance.now() - t);
  }
  const seconds = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { rps: n / seconds, p50ms: percentile(lat, 50), p99ms: percentile(lat, 99) };
}

/** `callers` concurrent callers, each with one request outstanding at a time. */
export async function concurrent(
  client: ZkvClient,
  callers: number,
  n: number,
  prefix = "con:",
): Promise<number> {
  let next = 0;
  const value = "x".repeat(100);
  const keyOf = keyMaker(prefix);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < n) {
        const i = next++;
        await client.put(keyOf(i), value);
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

/** ASCII code of the digit `n % 10` (n ≥ 0): a key's characters, made without strings in between. */
const digit = (n: number) => 48 + (n % 10);

/**
 * The bench's keys: `prefix` and `i` in 12 digits (i < 10^12), the same strings as
 * `${prefix}${String(i).padStart(12, "0")}`. That template made four strings per key (the
 * number's, the padded one, a cons string for the concatenation and its flattened copy when
 * hashed or encoded), ~0.19 µs a key charged to the client's CPU per op (in a loop with
 * JSON.stringify, as the client sends keys: 0.31 → 0.12 µs); with a 4-character prefix each key
 * is made here as one flat string in one call. redis-benchmark writes its keys' digits in place.
 */
export function keyMaker(prefix: string): (i: number) => string {
  if (prefix.length !== 4) return (i) => `${prefix}${String(i).padStart(12, "0")}`;
  const [a, b, c, d] = [0, 1, 2, 3].map((j) => prefix.charCodeAt(j)) as [number, number, number, number];
  return (i) => {
    const hi = Math.floor(i / 1e6);
    const lo = i - hi * 1e6;
    // biome-ignore format: the 12 digits, most significant first
    return String.fromCharCode(
      a, b, c, d,
      digit(hi / 1e5 | 0), digit(hi / 1e4 | 0), digit(hi / 1e3 | 0), digit(hi / 100 | 0), digit(hi / 10 | 0), digit(hi),
      digit(lo / 1e5 | 0), digit(lo / 1e4 | 0), digit(lo / 1e3 | 0), digit(lo / 100 | 0), digit(lo / 10 | 0), digit(lo),
    );
  };
}

/** The bulk workloads' keys: `key:` and `i` in 12 digits, 16 bytes. */
export const bulkKey = keyMaker("key:");

// The plain spelling of the same keys, checked at load where a digit rolls over: a wrong key
// would still be written and read back alike, so the bulk GET's value check cannot catch it.
for (const prefix of ["key:", "con:"]) {
  const keyOf = keyMaker(prefix);
  for (const i of [0, 9, 10, 99_999, 999_999, 1_000_000, 1_234_567, 10_000_000, 999_999_999_999]) {
    if (keyOf(i) !== `${prefix}${String(i).padStart(12, "0")}`)
      throw new Error(`bench: key ${prefix}${i} is wrong`);
  }
}
const BULK_VALUE = "v".repeat(100);

/** Bulk PUT of `n` keys (16-byte keys, 100-byte values) with putMany: ops/s. */
export async function bulkPut(
  client: ZkvClient,
  n: number,
  onProgress: (what: string, done: number) => void = () => {},
): Promise<number> {
  const start = performance.now();
  await client.putMany(
    (function* () {
      for (let i = 0; i < n; i++) yield [bulkKey(i), BULK_VALUE] as const;
    })(),
    (done) => done % 50_000 === 0 && onProgress("bulk PUT", done),
  );
  return n / ((performance.now() - start) / 1000);
}

/**
 * Bulk GET with getEach of the `n` keys bulkPut wrote, checking every value: ops/s. Keys come
 * from a generator and each value is checked and dropped as its reply lands, as redis-benchmark
 * drops its replies; nothing is held but what is in flight (window 16: 16,000 keys).
 */
export async function bulkGet(
  client: ZkvClient,
  n: number,
  onProgress: (what: string, done: number) => void = () => {},
): Promise<number> {
  const start = performance.now();
  let wrong = 0;
  await client.getEach(
    (function* () {
      for (let i = 0; i < n; i++) yield bulkKey(i);
    })(),
    (_key, value) => {
      if (value !== BULK_VALUE) wrong++;
    },
    (done) => done % 50_000 === 0 && onProgress("bulk GET", done),
  );
  if (wrong > 0) throw new Error(`bulk GET returned ${wrong} wrong values`);
  return n / ((performance.now() - start) / 1000);
}

/**
 * The bulk paths (putMany, getEach, getMany) run `rounds` times over `n` keys of their own, so
 * that V8 has compiled them before a measurement: what a quick run does before its bulk rows.
 */
export async function bulkWarmUp(client: ZkvClient, rounds = 5, n = 20_000): Promise<void> {
  const keyOf = keyMaker("warm");
  const keys = Array.from({ length: n }, (_, i) => keyOf(i));
  for (let round = 0; round < rounds; round++) {
    await client.putMany(keys.map((key) => [key, BULK_VALUE] as const));
    await client.getEach(keys, () => {});
    await client.getMany(keys, 8);
  }
}

/**
 * The bulk GET as getMany makes it: in chunks of 50,000 keys, each call's values held until it
 * resolves; the next chunk's call starts before this one's ends (awaited one after the other,
 * each call's last replies drained its window before the next call sent anything). Each call's
 * window is 8, two overlap: 16,000 keys in flight, as getEach's default. Shown beside bulk_get.
 */
export async function bulkGetMany(client: ZkvClient, n: number): Promise<number> {
  const start = performance.now();
  const chunk = 50_000;
  const read = (from: number) => {
    // A plain loop: Array.from with a mapper cost the bench ~0.3 µs a key, charged to the client.
    const keys = new Array<string>(Math.min(chunk, n - from));
    for (let j = 0; j < keys.length; j++) keys[j] = bulkKey(from + j);
    return client.getMany(keys, 8);
  };
  let reading = read(0);
  for (let i = 0; i < n; i += chunk) {
    const next = i + chunk < n ? read(i + chunk) : undefined;
    const values = await reading;
    if (values.some((v) => v !== BULK_VALUE)) throw new Error("bulk GET returned a wrong value");
    if (next) reading = next;
  }
  return n / ((performance.now() - start) / 1000);
}
