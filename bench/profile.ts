/**
 * `pnpm bench:profile`: where a workload's CPU goes, per op, on the client and on the node, by
 * the stages of a request.
 *
 *   pnpm bench:profile [--workload single|concurrent|bulk_put|bulk_get] [--ops N] [--detail STAGE]
 *                      [--fsync always|batch|off]
 *
 * Starts one static node, warms the path up, then samples both processes (every thread) with
 * Linux `perf record -e cpu-clock` while the workload runs; `--perf-basic-prof` lets perf name
 * V8's compiled JavaScript. cpu-clock samples only threads that are on a CPU, so unlike
 * `--cpu-prof` (which samples wall time) the shares stay right on a loaded machine. Each sample
 * is charged to a stage (see stageOf) and the table prints µs of CPU per op, beside the
 * process's own CPU counters for the same window. `--detail STAGE` lists the functions (or native
 * frames) that the stage's samples were charged to, on each side. `--fsync` runs the node with a
 * data dir (in a temp dir) under that policy.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureCpu } from "./cpu.js";
import { attribute, STAGE_NAMES, type Stage } from "./profile-stages.js";
import { bulkGet, bulkPut, concurrent, sequential, startZkv } from "./zkv.js";

const args = process.argv.slice(2).filter((a) => a !== "--");
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const WORKLOADS = ["single", "concurrent", "bulk_put", "bulk_get"] as const;
type Workload = (typeof WORKLOADS)[number];
const workload = (flag("--workload") ?? "bulk_put") as Workload;
if (!WORKLOADS.includes(workload) || args.includes("--help")) {
  console.log(`usage: pnpm bench:profile [--workload ${WORKLOADS.join("|")}] [--ops N] [--detail STAGE]`);
  process.exit(workload === undefined ? 0 : 2);
}
const ops = Number(
  flag("--ops") ?? (workload === "single" ? 20_000 : workload === "concurrent" ? 100_000 : 200_000),
);
const SAMPLE_HZ = 999;

if (!process.execArgv.includes("--perf-basic-prof")) {
  // The client is this process: run again with JIT symbols for perf.
  const run = spawnSync(
    process.execPath,
    ["--perf-basic-prof", ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: "inherit",
    },
  );
  process.exit(run.status ?? 1);
}
if (spawnSync("perf", ["--version"]).status !== 0) {
  console.error("bench:profile needs Linux perf (Debian: apt-get install linux-perf)");
  process.exit(1);
}

process.env.ZKV_BENCH_NODE_FLAGS = `--perf-basic-prof ${process.env.ZKV_BENCH_NODE_FLAGS ?? ""}`;
const dir = mkdtempSync(join(tmpdir(), "zkv-profile-"));
const fsync = flag("--fsync") as "always" | "batch" | "off" | undefined;
const zkv = await startZkv(1, fsync ? { dataDir: join(dir, "data"), fsync } : {});
try {
  const run = (n: number): Promise<unknown> => {
    switch (workload) {
      case "single":
        return sequential(zkv.client, n);
      case "concurrent":
        return concurrent(zkv.client, 50, n);
      case "bulk_put":
        return bulkPut(zkv.client, n);
      case "bulk_get":
        return bulkGet(zkv.client, n);
    }
  };
  // Warm up: the JIT compiles the hot path, the store grows to its size (GETs read what is there).
  if (workload === "bulk_get") await bulkPut(zkv.client, ops);
  await run(Math.min(ops, workload === "single" ? 5000 : 50_000));
  const [nodePid] = zkv.nodePids() as [number];
  const data = join(dir, "perf.data");
  const recorder = spawn(
    "perf",
    [
      "record",
      "-e",
      "cpu-clock",
      "-F",
      String(SAMPLE_HZ),
      "-g",
      "-o",
      data,
      "-p",
      `${nodePid},${process.pid}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  await new Promise((r) => setTimeout(r, 1000)); // perf attaches to every thread
  const { cpu } = await measureCpu(zkv.nodePids, ops, () => run(ops));
  recorder.kill("SIGINT");
  await new Promise((r) => recorder.once("exit", r));
  const script = execFileSync("perf", ["script", "-i", data, "-F", "comm,pid,tid,ip,sym"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const byProcess = attribute(script, { client: process.pid, node: nodePid });
  const perOp = (samples: number) => ((samples / SAMPLE_HZ) * 1e6) / ops;
  const storage = fsync ? `, --fsync ${fsync}` : "";
  console.log(`\n${workload}${storage}: ${ops.toLocaleString("en-US")} ops, µs of CPU per op by stage`);
  console.log(["stage".padEnd(10), "client".padStart(8), "node".padStart(8)].join("  "));
  for (const stage of STAGE_NAMES) {
    const c = byProcess.client.stages.get(stage) ?? 0;
    const n = byProcess.node.stages.get(stage) ?? 0;
    if (c + n === 0) continue;
    console.log(
      [stage.padEnd(10), perOp(c).toFixed(2).padStart(8), perOp(n).toFixed(2).padStart(8)].join("  "),
    );
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(
    [
      "sampled".padEnd(10),
      perOp(total(byProcess.client.stages)).toFixed(2).padStart(8),
      perOp(total(byProcess.node.stages)).toFixed(2).padStart(8),
    ].join("  "),
  );
  console.log(
    ["counters".padEnd(10), cpu.client.toFixed(2).padStart(8), cpu.node.toFixed(2).padStart(8)].join("  "),
  );
  console.log('"counters": the same window from process.cpuUsage and /proc/<pid>/stat (10 ms ticks)');
  const detail = flag("--detail");
  for (const side of detail === undefined ? [] : (["client", "node"] as const)) {
    const frames = [...(byProcess[side].frames.get(detail as Stage) ?? [])].sort((a, b) => b[1] - a[1]);
    console.log(`\n${detail} on the ${side}, µs per op by the frame it was charged to`);
    for (const [frame, samples] of frames.slice(0, 15)) {
      console.log(`${perOp(samples).toFixed(2).padStart(8)}  ${frame.slice(0, 110)}`);
    }
  }
} finally {
  await zkv.stop();
  rmSync(dir, { recursive: true, force: true });
}
