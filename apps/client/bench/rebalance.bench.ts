import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPlacement, type Placement } from "@zkv/hashring";
import { ClusterSettings, type ConsulConfig, type HashingMode, listMembers } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { startZkvCluster, type ZkvTestCluster } from "@zkv/server/testing";
import { ZkvClient } from "../src/lib/requests/client.js";
import { type RebalanceResult, rebalance } from "../src/rebalance/rebalance.js";

/**
 * `pnpm --filter @zkv/client bench [--keys N] [--hashing ring|hrw|both] [--quick] [--profile DIR]`:
 * how fast add-node moves data and how much of it moves. Per hashing mode: a throwaway Consul, a
 * 4-node cluster (the real launcher, in its own process group), N keys loaded with putMany (BATCH
 * PUTs sent straight to each key's owner), then `rebalance({change: {kind: "add"}})` timed phase
 * by phase, then a spot check of 1000 random keys. Prints Markdown tables; asserts nothing (a
 * failed check is printed, and makes the exit code non-zero). `--profile DIR` runs the launcher
 * and every node with `--cpu-prof` into DIR, plus the phase boundaries as monotonic µs.
 */

const INITIAL_NODES = 4;
/**
 * BATCH messages in flight while loading. (IMPORT straight into each owner was the fast path until
 * nodes started refusing an IMPORT outside a rebalance run; putMany is the supported bulk write.)
 */
const LOAD_WINDOW = 16;
const VALUE_BYTES = 100;
const SPOT_CHECKS = 1000;
/** The share of keys an added node should take: 1/(n+1). */
const OPTIMUM = 1 / (INITIAL_NODES + 1);
const GOAL_RATE = 100_000;
const GOAL_RATIO = 1.05;

interface Options {
  keys: number;
  modes: HashingMode[];
  profileDir: string | undefined;
}

function parseOptions(argv: string[]): Options {
  // pnpm hands a typed `--` through literally.
  const args = argv.filter((a) => a !== "--");
  const { values } = parseArgs({
    args,
    options: {
      keys: { type: "string" },
      hashing: { type: "string", default: "ring" },
      quick: { type: "boolean", default: false },
      profile: { type: "string" },
    },
  });
  const keys =
    values.keys !== undefined ? Number(values.keys.replace(/[,_]/g, "")) : values.quick ? 100_000 : 1_000_000;
  if (!Number.isInteger(keys) || keys < SPOT_CHECKS)
    throw new Error(`--keys must be an integer ≥ ${SPOT_CHECKS}`);
  const h = values.hashing;
  if (h !== "ring" && h !== "hrw" && h !== "both") throw new Error("--hashing must be ring, hrw or both");
  return {
    keys,
    modes: h === "both" ? ["ring", "hrw"] : [h],
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
  };
}

// ---------------------------------------------------------------------------------------------
// The workload: key i and its value are a pure function of i, so nothing is kept in memory.

const FILLER = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".repeat(4);

function keyFor(i: number): string {
  return `bench:${i.toString().padStart(8, "0")}`;
}

function valueFor(i: number): string {
  const head = `v${i}:`;
  const start = i % 60;
  return head + FILLER.slice(start, start + VALUE_BYTES - head.length);
}

/** mulberry32: a seeded PRNG, so the spot-checked keys are the same from run to run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The cluster: Consul and the launcher, torn down on success, error and Ctrl-C alike.

interface Cluster {
  consul: TestConsul;
  launcher: ZkvTestCluster;
}

const cleanups = new Set<() => Promise<void>>();

async function cleanupAll(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    cleanups.delete(c);
    await c().catch((err) => console.error(`cleanup failed: ${(err as Error).message}`));
  }
}

let interrupted = false;

process.once("SIGINT", () => {
  interrupted = true;
  console.error("\ninterrupted: stopping the cluster and Consul");
  void cleanupAll().finally(() => process.exit(130));
});

async function startCluster(hashing: HashingMode, profileDir: string | undefined): Promise<Cluster> {
  const consul = await startTestConsul();
  cleanups.add(() => consul.stop());
  await new ClusterSettings(consul.config).setClusterSize(INITIAL_NODES);
  // The launcher starts its nodes with its own execArgv, so --cpu-prof reaches every node.
  const launcher = await startZkvCluster({
    env: consul.env,
    args: ["--hashing", hashing],
    ports: INITIAL_NODES + 4,
    nodeFlags: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  });
  // SIGTERM, as Ctrl-C in a terminal would: nodes drain and (when profiling) write their
  // profiles; whatever is left after the grace period is killed.
  cleanups.add(async () => {
    await launcher.stop("SIGTERM", 20_000);
  });
  return { consul, launcher };
}

/** A performance.now() reading on the monotonic clock V8 stamps profiles with, in µs. */
function monotonicMicros(perfNow: number): number {
  const nowMicros = Number(process.hrtime.bigint() / 1000n);
  return Math.round(nowMicros - (performance.now() - perfNow) * 1000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Loading, counting, checking.

function nodeIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `node-${i}`);
}

/**
 * Writes every key with putMany (BATCH messages of PUTs grouped by owner, LOAD_WINDOW in flight)
 * and returns how many keys each node should now hold.
 */
async function load(client: ZkvClient, placement: Placement, keys: number): Promise<Map<string, number>> {
  const counts = new Map(placement.nodes.map((n) => [n, 0]));
  function* entries(): Generator<readonly [string, string]> {
    for (let i = 0; i < keys; i++) {
      const key = keyFor(i);
      const node = placement.locate(key);
      counts.set(node, counts.get(node)! + 1);
      yield [key, valueFor(i)];
    }
  }
  await client.putMany(entries(), undefined, LOAD_WINDOW);
  return counts;
}

/**
 * Entries each node holds, counted by paging through GET_ALL on all nodes at once; also how long
 * that took, to compare with the rebalance's own scan (which pages one node after the other).
 */
async function countNodes(
  client: ZkvClient,
  nodes: readonly string[],
): Promise<{ counts: Map<string, number>; seconds: number }> {
  const started = performance.now();
  const counts = await Promise.all(
    nodes.map(async (n) => {
      let count = 0;
      for await (const _ of client.scanNode(n, 10_000)) count++;
      return [n, count] as const;
    }),
  );
  return { counts: new Map(counts), seconds: (performance.now() - started) / 1000 };
}

function expectedCounts(placement: Placement, keys: number): Map<string, number> {
  const counts = new Map(placement.nodes.map((n) => [n, 0]));
  for (let i = 0; i < keys; i++) {
    const node = placement.locate(keyFor(i));
    counts.set(node, counts.get(node)! + 1);
  }
  return counts;
}

/** Keys whose owner differs between two placements: what a minimal move moves. */
function keysChangingOwner(before: Placement, after: Placement, keys: number): number {
  let n = 0;
  for (let i = 0; i < keys; i++) {
    const key = keyFor(i);
    if (before.locate(key) !== after.locate(key)) n++;
  }
  return n;
}

function compareCounts(
  label: string,
  expected: Map<string, number>,
  { counts: actual, seconds }: { counts: Map<string, number>; seconds: number },
): boolean {
  const ok = [...expected].every(([n, c]) => actual.get(n) === c);
  const cells = [...expected].map(
    ([n, c]) => `${n} ${fmt(actual.get(n) ?? 0)}${actual.get(n) === c ? "" : ` (expected ${fmt(c)})`}`,
  );
  console.log(`${label}: ${cells.join(", ")}: ${ok ? "as expected" : "MISMATCH"}`);
  console.log(`  (counted with GET_ALL, all nodes paged concurrently, in ${seconds.toFixed(2)} s)`);
  return ok;
}

/** GETs `samples` random keys through the client (following redirects); returns how many matched. */
async function spotCheck(client: ZkvClient, keys: number, samples: number): Promise<number> {
  const next = random(0x5eed);
  const picks = Array.from({ length: samples }, () => Math.floor(next() * keys));
  let ok = 0;
  const failures: string[] = [];
  for (let start = 0; start < picks.length; start += 100) {
    await Promise.all(
      picks.slice(start, start + 100).map(async (i) => {
        try {
          const value = await client.get(keyFor(i));
          if (value === valueFor(i)) ok++;
          else failures.push(`${keyFor(i)}: ${value === undefined ? "not found" : "wrong value"}`);
        } catch (err) {
          failures.push(`${keyFor(i)}: ${(err as Error).message}`);
        }
      }),
    );
  }
  for (const f of failures.slice(0, 5)) console.log(`  spot check failed: ${f}`);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// One run: load, add a node, check.

type Progress = { phase: string; t: number; done?: number; total?: number };

interface RunResult {
  keys: number;
  hashing: HashingMode;
  loadSeconds: number;
  result: RebalanceResult;
  minimal: number;
  phases: {
    lock: number;
    nodeStart: number;
    scan: number;
    plan: number;
    move: number;
    sweepAndFinish: number;
  };
  verified: number;
  countsOk: boolean;
}

async function runOne(
  hashing: HashingMode,
  keys: number,
  profileDir: string | undefined,
): Promise<RunResult> {
  console.log(`\n## ${hashing}: ${fmt(keys)} keys\n`);
  let t = performance.now();
  const cluster = await startCluster(hashing, profileDir);
  const consul: ConsulConfig = cluster.consul.config;
  console.log(`cluster of ${INITIAL_NODES} up in ${secs(performance.now() - t)} s`);

  const before = createPlacement(hashing, nodeIds(INITIAL_NODES));
  const client = await ZkvClient.connect({ consul, timeoutMs: 10_000 });
  cleanups.add(async () => client.close());
  // The bench routes with its own placement: it must be the cluster's.
  for (let i = 0; i < 1000; i++) {
    if (client.ownerOf(keyFor(i)) !== before.locate(keyFor(i)))
      throw new Error(`the cluster places ${keyFor(i)} elsewhere than createPlacement("${hashing}", …)`);
  }

  t = performance.now();
  const loaded = await load(client, before, keys);
  const loadSeconds = (performance.now() - t) / 1000;
  console.log(`loaded ${fmt(keys)} keys in ${loadSeconds.toFixed(2)} s (${fmt(keys / loadSeconds)} keys/s)`);
  let countsOk = compareCounts("per node after load", loaded, await countNodes(client, before.nodes));

  // Rebalance, timestamping every progress report; a side poll of Consul marks when node-4 passes.
  const events: Progress[] = [];
  const started = performance.now();
  let joinedAt: number | undefined;
  let polling = true;
  const poll = (async () => {
    while (polling && joinedAt === undefined) {
      const m = await listMembers(consul).catch(() => []);
      if (m.some((x) => x.id === `node-${INITIAL_NODES}` && x.health === "passing"))
        joinedAt = performance.now();
      else await sleep(50);
    }
  })();
  let lastLog = 0;
  const result = await rebalance({
    consul,
    change: { kind: "add" },
    onProgress: (p) => {
      const now = performance.now();
      events.push({ ...p, t: now });
      if (p.phase === "moving" && now - lastLog < 2000 && p.done !== p.total) return;
      lastLog = now;
      const detail = "done" in p ? ` ${fmt(p.done)}/${fmt(p.total)}` : ` ${p.node}`;
      console.log(`  [${secs(now - started).padStart(6)} s] ${p.phase}${detail}`);
    },
  }).finally(() => {
    polling = false;
  });
  const ended = performance.now();
  await poll;

  const at = (phase: string, which: "first" | "last") => {
    const list = events.filter((e) => e.phase === phase);
    return (which === "first" ? list[0] : list[list.length - 1])?.t;
  };
  const waitAt = at("waiting-for-node", "first") ?? started;
  const scanEnd = at("scanning", "last") ?? waitAt;
  const firstMove = at("moving", "first") ?? scanEnd;
  const lastMove = at("moving", "last") ?? scanEnd;
  const joined = joinedAt ?? waitAt;
  const phases = {
    lock: (waitAt - started) / 1000,
    nodeStart: (joined - waitAt) / 1000,
    scan: (scanEnd - joined) / 1000,
    plan: (firstMove - scanEnd) / 1000,
    move: (lastMove - firstMove) / 1000,
    sweepAndFinish: (ended - lastMove) / 1000,
  };

  if (profileDir) {
    // V8's .cpuprofile timestamps and process.hrtime share the monotonic clock: these marks pick
    // each phase's samples out of every process's profile.
    const marks = Object.fromEntries(
      Object.entries({ started, waitAt, joined, scanEnd, firstMove, lastMove, ended }).map(([k, v]) => [
        k,
        monotonicMicros(v),
      ]),
    );
    writeFileSync(join(profileDir, `window-${hashing}.json`), `${JSON.stringify(marks)}\n`);
    console.log(`profile marks (monotonic µs) written to ${join(profileDir, `window-${hashing}.json`)}`);
  }

  const after = createPlacement(hashing, nodeIds(INITIAL_NODES + 1));
  const minimal = keysChangingOwner(before, after, keys);
  countsOk =
    compareCounts("per node after add", expectedCounts(after, keys), await countNodes(client, after.nodes)) &&
    countsOk;
  await client.close();

  // A reader that connects after the move, as a fresh process would.
  const reader = await ZkvClient.connect({ consul, timeoutMs: 10_000 });
  cleanups.add(async () => reader.close());
  const verified = await spotCheck(reader, keys, SPOT_CHECKS);
  console.log(`verified ${verified}/${SPOT_CHECKS}`);
  await reader.close();

  t = performance.now();
  await cleanupAll();
  console.log(`cluster and Consul stopped in ${secs(performance.now() - t)} s`);
  return { keys, hashing, loadSeconds, result, minimal, phases, verified, countsOk };
}

// ---------------------------------------------------------------------------------------------
// Report.

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(2);
}

function printTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  console.log(line(cells[0]!));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

function report(runs: readonly RunResult[]): void {
  console.log(`\n## add-node: 4 → 5 nodes (optimum moved fraction 1/5 = ${OPTIMUM})\n`);
  printTable(
    [
      "keys",
      "hashing",
      "moved",
      "moved fraction",
      "vs optimum",
      "vs minimal",
      "total s",
      "keys/s (total)",
      "move phase s",
      "keys/s (move phase)",
    ],
    runs.map((r) => {
      const moved = r.result.moved;
      return [
        fmt(r.keys),
        r.hashing,
        fmt(moved),
        (moved / r.keys).toFixed(4),
        `${(moved / r.keys / OPTIMUM).toFixed(3)}x`,
        `${(moved / r.minimal).toFixed(3)}x`,
        r.result.seconds.toFixed(2),
        fmt(moved / r.result.seconds),
        r.phases.move.toFixed(2),
        r.phases.move > 0 ? fmt(moved / r.phases.move) : "-",
      ];
    }),
  );
  console.log(
    "\nvs minimal: moved / keys whose owner changes between the two placements (what any mover must move).",
  );
  console.log(
    '"move phase": first "moving" progress to the last one (the first batch\'s own time is not in it).',
  );

  console.log("\n## Where the time goes (seconds)\n");
  printTable(
    [
      "keys",
      "hashing",
      "lock+record",
      "node start",
      "scan",
      "plan+1st batch",
      "move",
      "sweep+finish",
      "total",
    ],
    runs.map((r) => [
      fmt(r.keys),
      r.hashing,
      r.phases.lock.toFixed(2),
      r.phases.nodeStart.toFixed(2),
      r.phases.scan.toFixed(2),
      r.phases.plan.toFixed(2),
      r.phases.move.toFixed(2),
      r.phases.sweepAndFinish.toFixed(2),
      r.result.seconds.toFixed(2),
    ]),
  );

  console.log("\n## Result of rebalance() and checks\n");
  printTable(
    ["keys", "hashing", "scanned", "planned", "moved", "swept", "load keys/s", "counts", "spot check"],
    runs.map((r) => [
      fmt(r.keys),
      r.hashing,
      fmt(r.result.scanned),
      fmt(r.result.planned),
      fmt(r.result.moved),
      fmt(r.result.swept),
      fmt(r.keys / r.loadSeconds),
      r.countsOk ? "ok" : "MISMATCH",
      `${r.verified}/${SPOT_CHECKS}`,
    ]),
  );

  console.log(`\ngoal: ≥ ${fmt(GOAL_RATE)} keys/s moved, moved fraction ≤ ${GOAL_RATIO}x optimum`);
  for (const r of runs) {
    const rate = r.result.moved / r.result.seconds;
    const ratio = r.result.moved / r.keys / OPTIMUM;
    console.log(
      `  ${r.hashing}: ${fmt(rate)} keys/s overall (${rate >= GOAL_RATE ? "meets" : "misses"} the goal), ` +
        `${ratio.toFixed(3)}x optimum (${ratio <= GOAL_RATIO ? "meets" : "misses"} the goal)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

const options = parseOptions(process.argv.slice(2));
const cpus = os.cpus();
console.log(
  `# zkv rebalance bench\n\nnode ${process.version}, ${cpus[0]?.model ?? "unknown cpu"}, ` +
    `${cpus.length} cpus, ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; ${fmt(options.keys)} keys of ${VALUE_BYTES}-byte values, ` +
    `${INITIAL_NODES} → ${INITIAL_NODES + 1} nodes`,
);
if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
const runs: RunResult[] = [];
try {
  for (const mode of options.modes) runs.push(await runOne(mode, options.keys, options.profileDir));
  report(runs);
} catch (err) {
  // After Ctrl-C the run fails as its cluster goes away: that is not worth a stack trace.
  if (!interrupted) console.error(`bench failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
if (runs.some((r) => !r.countsOk || r.verified !== SPOT_CHECKS)) process.exitCode = 1;
