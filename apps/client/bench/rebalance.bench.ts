import { mkdirSync } from "node:fs";
import os from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createPlacement } from "@zkv/hashring";
import { ClusterSettings, type ConsulConfig, type HashingMode, listMembers } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { startZkvCluster, type ZkvTestCluster } from "@zkv/server/testing";
import { ZkvClient } from "../src/lib/requests/client.js";
import { rebalance } from "../src/rebalance/rebalance.js";
import { fmt, secs } from "./rebalance/format.js";
import {
  compareCounts,
  expectedCounts,
  INITIAL_NODES,
  keyFor,
  keysChangingOwner,
  nodeIds,
  VALUE_BYTES,
} from "./rebalance/keys.js";
import { type Progress, phaseMarks, phaseSeconds, writeProfileMarks } from "./rebalance/phases.js";
import { type RunResult, report } from "./rebalance/report.js";
import { countNodes, load, SPOT_CHECKS, spotCheck } from "./rebalance/workload.js";

/**
 * `pnpm --filter @zkv/client bench [--keys N] [--hashing ring|hrw|both] [--quick] [--profile DIR]`:
 * how fast add-node moves data and how much of it moves. Per hashing mode: a throwaway Consul, a
 * 4-node cluster (the real launcher, in its own process group), N keys loaded with putMany (BATCH
 * PUTs sent straight to each key's owner), then `rebalance({change: {kind: "add"}})` timed phase
 * by phase, then a spot check of 1000 random keys. Prints Markdown tables; asserts nothing (a
 * failed check is printed, and makes the exit code non-zero). `--profile DIR` runs the launcher
 * and every node with `--cpu-prof` into DIR, plus the phase boundaries as monotonic µs.
 * This file runs the clusters; bench/rebalance/ holds the keys and their placement arithmetic
 * (keys.ts), the load and checks (workload.ts), the phase timing (phases.ts) and the tables (report.ts).
 */

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// One run: load, add a node, check.

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

  const marks = phaseMarks(events, { started, joinedAt, ended });
  const phases = phaseSeconds(marks);
  if (profileDir) writeProfileMarks(profileDir, hashing, marks);

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
