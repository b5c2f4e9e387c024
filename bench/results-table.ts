import { cpus, loadavg } from "node:os";
import type { CpuPerOp } from "./cpu.js";

/** One workload's figure for zkv and for Redis (null without Redis), and zkv's advantage. */
export interface Row {
  zkv: number;
  redis: number | null;
  unit: string;
  ratio: number | null;
}

/** A row whose ratio is > 1 when zkv is better, whichever way `unit` counts. */
export const row = (zkv: number, redis: number | null, unit: string, higherIsBetter: boolean): Row => ({
  zkv,
  redis,
  unit,
  ratio: redis === null ? null : higherIsBetter ? zkv / redis : redis / zkv,
});

/** µs of CPU per op by row: zkv's client and node(s), redis-benchmark and redis-server. */
export type CpuRows = Record<string, { zkv: CpuPerOp; redis?: CpuPerOp | undefined }>;

/** The transport's floor: a bare zeromq.js round trip between two processes. */
export interface Floor {
  p50ms: number;
  p99ms: number;
  cpu: CpuPerOp;
}

/** Everything one run measured, as the tables show it. */
export interface BenchResults {
  readonly keys: number;
  readonly nodes: number;
  readonly loadAtStart: number[];
  readonly results: Record<string, Row>;
  readonly cpuRows: CpuRows;
  readonly floor: Floor | undefined;
}

/** Prints the zkv vs Redis table, then the CPU per op of each side, then the zeromq.js floor. */
export function printResults({ keys, nodes, loadAtStart, results, cpuRows, floor }: BenchResults): void {
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
  if (cpuRows.concurrent_floor)
    console.log(
      "concurrent_floor: 50 waiting callers over zeromq.js, JSON columns and a Map (bench/lockstep-floor.ts): no zkv",
    );
  if (cpuRows.bulk_get_many)
    console.log(
      "bulk_get_many: the same keys read with getMany in 50k-key calls, each holding its values until it resolves",
    );
  if (floor) {
    console.log(
      `\nzeromq.js alone (echo between two processes, no zkv): p50 ${floor.p50ms.toFixed(3)} ms, p99 ${floor.p99ms.toFixed(3)} ms`,
    );
  }
}
