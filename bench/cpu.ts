import { readFileSync } from "node:fs";

/**
 * CPU time per operation, per process: what a run costs the machine, which wall-clock throughput
 * on a shared 2-core machine hides (the client and the node compete for the same cores, and so do
 * other jobs). Counts user + system time of every thread (libzmq's I/O threads included).
 */

/** Linux clock ticks per second (`getconf CLK_TCK`): 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** CPU seconds used so far by process `pid`, all threads, from /proc (0 once it has exited). */
export function processCpuSeconds(pid: number): number {
  try {
    return statTicks(readFileSync(`/proc/${pid}/stat`, "utf8"), 0) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used by children this process has waited for (redis-benchmark runs through
 * execFileSync, which waits for it): cutime + cstime of /proc/self/stat.
 */
export function waitedChildrenCpuSeconds(): number {
  return statTicks(readFileSync("/proc/self/stat", "utf8"), 2) / CLOCK_TICKS;
}

/** utime + stime (offset 0) or cutime + cstime (offset 2) of a /proc/<pid>/stat line. */
function statTicks(stat: string, offset: number): number {
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime 15, cutime 16, cstime 17.
  return Number(fields[11 + offset]) + Number(fields[12 + offset]);
}

/** CPU seconds of this process (the bench's client), all threads. */
export function selfCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** µs of CPU per op of the client (this process) and of the node processes, over one workload. */
export interface CpuPerOp {
  readonly client: number;
  readonly node: number;
}

/**
 * Runs `work` (which performs `ops` operations) and returns what it cost per op in µs of CPU, in
 * this process and in the processes `nodePids()` names (summed: with replication every node's
 * share counts).
 */
export async function measureCpu<T>(
  nodePids: () => readonly number[],
  ops: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpu: CpuPerOp }> {
  const pids = nodePids();
  const nodes = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const client0 = selfCpuSeconds();
  const node0 = nodes();
  const result = await work();
  const cpu = {
    client: ((selfCpuSeconds() - client0) / ops) * 1e6,
    node: ((nodes() - node0) / ops) * 1e6,
  };
  return { result, cpu };
}

/**
 * Runs a synchronous redis-benchmark call and returns its result with what it cost per op in µs
 * of CPU, in redis-benchmark (a waited-for child) and in the redis-server processes (summed: a
 * primary and its replicas).
 */
export function measureRedisCpu<T>(
  serverPids: number | readonly number[],
  ops: number,
  work: () => T,
): { result: T; cpu: CpuPerOp } {
  const pids = typeof serverPids === "number" ? [serverPids] : serverPids;
  const servers = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const client0 = waitedChildrenCpuSeconds();
  const server0 = servers();
  const result = work();
  const cpu = {
    client: ((waitedChildrenCpuSeconds() - client0) / ops) * 1e6,
    node: ((servers() - server0) / ops) * 1e6,
  };
  return { result, cpu };
}
