/**
 * CPU per op and p50 of one workload once the JIT is warm, against one static node: what `pnpm
 * bench` reports for its single and concurrent rows, minus the cold start (a fresh node runs its
 * first thousands of requests unoptimized, and a quick run's 5000 sequential ops are mostly
 * those). For comparing two checkouts in alternation on a loaded machine, where only many pairs
 * of runs say anything.
 *
 *   npx tsx bench/steady.ts single|get|concurrent|floor [--ops N] [--warmup N]
 *
 * single: sequential PUTs of 100-byte values; get: sequential GET_ONEs of one 100-byte value;
 * concurrent: 50 callers of single PUTs; floor: the bare zeromq.js echo (bench/zeromq-floor.ts).
 */
import { parseArgs } from "node:util";
import { processCpuSeconds, selfCpuSeconds } from "./cpu.js";
import { zeromqRoundTrip } from "./zeromq-floor.js";
import { concurrent, percentile, sequential, startZkv } from "./zkv.js";

const WORKLOADS = ["single", "get", "concurrent", "floor"] as const;
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { ops: { type: "string" }, warmup: { type: "string" } },
});
const workload = positionals[0] as (typeof WORKLOADS)[number];
if (!WORKLOADS.includes(workload)) {
  console.error(`usage: npx tsx bench/steady.ts ${WORKLOADS.join("|")} [--ops N] [--warmup N]`);
  process.exit(2);
}
const ops = Number(values.ops ?? (workload === "concurrent" ? 200_000 : 20_000));
const warmup = Number(values.warmup ?? (workload === "concurrent" ? 50_000 : 5000));

/** Sequential GET_ONEs of one key: their p50 in ms. */
async function gets(client: Awaited<ReturnType<typeof startZkv>>["client"], n: number): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.get("steady:get");
    lat.push(performance.now() - t);
  }
  return percentile(
    lat.sort((a, b) => a - b),
    50,
  );
}

if (workload === "floor") {
  const floor = await zeromqRoundTrip(ops);
  console.log(
    `floor ${ops} ops: client ${floor.cpu.client.toFixed(1)} + node ${floor.cpu.node.toFixed(1)} µs/op, p50 ${(floor.p50ms * 1000).toFixed(1)} µs`,
  );
} else {
  const zkv = await startZkv(1);
  try {
    const { client } = zkv;
    const [nodePid] = zkv.nodePids() as [number];
    await client.put("steady:get", "x".repeat(100));
    // The warm-up and the measured ops write different keys (4-character prefixes: the bench's
    // keys are then made as one flat string each, as the full bench's are).
    const run = async (n: number, prefix: string): Promise<string> => {
      if (workload === "single") return `p50 ${((await sequential(client, n)).p50ms * 1000).toFixed(1)} µs`;
      if (workload === "get") return `p50 ${((await gets(client, n)) * 1000).toFixed(1)} µs`;
      return `${Math.round(await concurrent(client, 50, n, prefix)).toLocaleString("en-US")} ops/s`;
    };
    await run(warmup, "stw:");
    const client0 = selfCpuSeconds();
    const node0 = processCpuSeconds(nodePid);
    const outcome = await run(ops, "stm:");
    const perOp = (seconds: number) => ((seconds / ops) * 1e6).toFixed(workload === "concurrent" ? 2 : 1);
    console.log(
      `${workload} ${ops} ops: client ${perOp(selfCpuSeconds() - client0)} + node ${perOp(processCpuSeconds(nodePid) - node0)} µs/op, ${outcome}`,
    );
  } finally {
    await zkv.stop();
  }
}
