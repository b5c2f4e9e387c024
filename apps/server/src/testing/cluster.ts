import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePortRange, trackProcessGroup, untrackPid } from "@zkv/membership/testing";
import { programArgv } from "./programs.js";

/** Output kept per process: enough for any failure message, bounded for hour-long benches. */
const OUTPUT_LIMIT = 1 << 20;

/** How to run `zkv-server` (the launcher, or one node with --node-id) from a test or bench. */
export interface ZkvServerOptions {
  /** Merged over process.env: CONSUL_HTTP_ADDR and friends, ZKV_* settings. */
  readonly env?: Readonly<Record<string, string>>;
  /** Node flags before the program, e.g. --expose-gc or --cpu-prof; the launcher hands them to its nodes. */
  readonly nodeFlags?: readonly string[];
  /** `warn` unless said otherwise: tests read the launcher's output, not per-event logs. */
  readonly logLevel?: string;
  /** `pipe` keeps stderr in output(); `inherit` shows it live (benches). */
  readonly stderr?: "pipe" | "inherit";
}

/** A `zkv-server` process and its process group (a launcher's nodes are in it). */
export interface ZkvServerProcess {
  readonly child: ChildProcess;
  /** stdout (and stderr unless inherited) so far, the last MiB of it. */
  output(): string;
  /** Resolves to the exit code, null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /**
   * Sends `signal` to the process (SIGTERM: a clean stop that stops the nodes), waits up to
   * `graceMs` for it to exit, then SIGKILLs whatever of its group is left. Idempotent.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Starts `zkv-server <args>` as `pnpm --filter server start` would, in a process group of its own. */
export function spawnZkvServer(args: readonly string[], options: ZkvServerOptions = {}): ZkvServerProcess {
  const argv = [
    ...(options.nodeFlags ?? []),
    ...programArgv("server"),
    "--log-level",
    options.logLevel ?? "warn",
    ...args,
  ];
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", options.stderr ?? "pipe"],
    detached: true,
  });
  trackProcessGroup(child.pid);
  let output = "";
  const append = (d: Buffer) => {
    output += d.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT / 2);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = "SIGTERM", graceMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (grace = setTimeout(r, graceMs)))]);
    clearTimeout(grace);
    try {
      process.kill(-child.pid!, "SIGKILL"); // anything of the group left behind
    } catch {
      // the group is gone: the launcher stopped its nodes
    }
    untrackPid(child.pid);
    return exited;
  };
  return { child, output: () => output, exited, stop };
}

/** A launcher with its nodes, up and ready, started by `startZkvCluster`. */
export interface ZkvTestCluster extends ZkvServerProcess {
  /** Port of node-0; node-i listens on basePort + i. */
  readonly basePort: number;
  /** Pid of the process serving `nodeId` (`node-<i>`). */
  nodePid(nodeId: string): number;
  /** Pids of the node processes the launcher runs now. */
  nodePids(): number[];
}

export interface ZkvClusterOptions extends ZkvServerOptions {
  /** Launcher flags, e.g. ["--nodes", "3"] or ["--hashing", "hrw", "--cluster-size", "4"]. */
  readonly args?: readonly string[];
  /** A restart passes the first run's, as an operator reruns the same command. */
  readonly basePort?: number;
  /** Free ports to reserve above basePort when none is given (room for added nodes); default 8. */
  readonly ports?: number;
  readonly readyTimeoutMs?: number;
}

/** What a launcher prints once every node serves (run-launcher.ts). */
const READY_LINE = /\bnodes ready \(/;

/**
 * Starts a launcher (a Consul cluster unless `args` has --nodes) and resolves once it prints
 * "ready"; a launcher that exits or never gets ready is killed with its nodes and rejects.
 */
export async function startZkvCluster(options: ZkvClusterOptions = {}): Promise<ZkvTestCluster> {
  const basePort = options.basePort ?? (await freePortRange(options.ports ?? 8));
  const proc = spawnZkvServer(["--base-port", String(basePort), ...(options.args ?? [])], options);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    // The launcher's own line ("cluster of 4 nodes ready (hashing: …"), not any output that
    // says "ready": "nodes not ready after 30000 ms" is how it fails.
    if (READY_LINE.test(proc.output())) break;
    const ended = proc.child.exitCode ?? proc.child.signalCode;
    const problem =
      ended !== null
        ? `launcher exited (${ended})`
        : Date.now() > deadline
          ? "cluster not ready in time"
          : undefined;
    if (problem) {
      await proc.stop("SIGKILL");
      throw new Error(`${problem}:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pgid = proc.child.pid!;
  return {
    ...proc,
    basePort,
    nodePid(nodeId) {
      const port = basePort + Number(nodeId.split("-")[1]);
      const out = execFileSync("pgrep", ["-f", "--", `--node-id ${nodeId} --port ${port} `], {
        encoding: "utf8",
      });
      return Number(out.trim().split("\n")[0]);
    },
    nodePids: () => childPids(pgid),
  };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
