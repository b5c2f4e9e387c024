/** The workloads `--only` can pick. */
export type Workload = "single" | "concurrent" | "bulk" | "durable" | "replicated";

/** What `pnpm bench` was asked to do, read from its command line (usage in run.ts). */
export interface BenchOptions {
  readonly quick: boolean;
  /** Keys of the bulk workload (3 and 4). */
  readonly keys: number;
  /** zkv nodes the in-memory workloads (1 to 4) run against. */
  readonly nodes: number;
  /** zkv with CURVE on every connection (Redis has no equivalent; it runs as always). */
  readonly curve: boolean;
  /** --scale: only 3 and 4, once per size in `sizes`. */
  readonly scale: boolean;
  readonly sizes: number[];
  /** --only: whether to run `workload` (all by default); a subset is for working on one path, not for the table. */
  want(workload: Workload): boolean;
}

/**
 * A quick run's bulk keys. Redis reads and writes 100k keys a quarter faster than 1M (they fit
 * its caches better), so a quick run of 100k showed the bulk rows well below a full run's; at
 * 500k its figures are a full run's, and the rows take seconds.
 */
const QUICK_KEYS = 500_000;

/** Reads `pnpm bench`'s arguments; `--help` prints the usage and exits. */
export function benchOptions(argv: readonly string[]): BenchOptions {
  const args = argv.filter((a) => a !== "--");
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
  const only = flag("--only")?.split(",");
  return {
    quick,
    keys: Number(flag("--keys") ?? (quick ? QUICK_KEYS : 1_000_000)),
    nodes: Number(flag("--nodes") ?? 1),
    curve: args.includes("--curve"),
    scale: args.includes("--scale"),
    sizes: (flag("--sizes") ?? "100000,1000000,10000000").split(",").map(Number),
    want: (workload) => only === undefined || only.includes(workload),
  };
}
