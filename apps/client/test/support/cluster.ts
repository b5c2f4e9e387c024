import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually, freePortRange, trackPid, trackProcessGroup, untrackPid } from "@zkv/membership/testing";

const SERVER_MAIN = fileURLToPath(new URL("../../../server/src/main.ts", import.meta.url));
const CLIENT_MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** A launcher process (and its node processes, in one process group) started by a test. */
export interface TestCluster {
  readonly basePort: number;
  readonly launcher: ChildProcess;
  output(): string;
  /** Signals the launcher and waits for it to exit; resolves to its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `pnpm --filter server start` equivalent against a Consul and waits for "ready". A
 * restarted launcher passes the `basePort` of the first, as an operator reruns the same command.
 */
export async function startCluster(
  env: Record<string, string>,
  args: readonly string[] = [],
  options: { readonly basePort?: number } = {},
): Promise<TestCluster> {
  const basePort = options.basePort ?? (await freePortRange(8));
  const launcher = spawn(
    process.execPath,
    ["--import", "tsx", SERVER_MAIN, "--base-port", String(basePort), "--log-level", "warn", ...args],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  trackProcessGroup(launcher.pid);
  let output = "";
  launcher.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  launcher.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => launcher.once("exit", (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill(signal);
    const code = await exited;
    try {
      process.kill(-launcher.pid!, "SIGKILL"); // anything of the group left behind
    } catch {
      // the group is gone: the launcher stopped its nodes
    }
    untrackPid(launcher.pid);
    return code;
  };
  try {
    await eventually(() => {
      if (launcher.exitCode !== null) throw new Error(`launcher exited ${launcher.exitCode}:\n${output}`);
      return /ready/.test(output);
    }, 60_000);
  } catch (err) {
    await stop("SIGKILL");
    throw err;
  }
  return { basePort, launcher, output: () => output, stop };
}

/** How a CLI run ended: its exit code (null when a signal killed it) and output. */
export interface CliOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the zkv CLI as a user would; resolves to its exit code and output. */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliOutcome> {
  return spawnCli(args, env).outcome;
}

/** Starts the zkv CLI and hands back its process, for a test that signals it mid-run. */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string>,
): { readonly child: ChildProcess; readonly outcome: Promise<CliOutcome> } {
  return spawnMain(CLIENT_MAIN, args, env);
}

/**
 * Runs the server CLI to its exit, for starts that must be refused; a start that succeeds is
 * killed (with its nodes) after `timeoutMs`, so the test fails instead of leaking a cluster.
 */
export function runServer(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<CliOutcome> {
  const { child, outcome } = spawnMain(SERVER_MAIN, args, env, true);
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
  return outcome.finally(() => clearTimeout(timer));
}

function spawnMain(
  main: string,
  args: readonly string[],
  env: Record<string, string>,
  group = false,
): { readonly child: ChildProcess; readonly outcome: Promise<CliOutcome> } {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: group,
  });
  if (group) trackProcessGroup(child.pid);
  else trackPid(child.pid);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const outcome = new Promise<CliOutcome>((resolve) =>
    child.once("exit", (code, signal) => {
      untrackPid(child.pid);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, outcome };
}

/** Pid of the node process serving `nodeId` (`node-<i>`, on port basePort + i) in a test cluster. */
export function nodePid(cluster: TestCluster, nodeId: string): number {
  const port = cluster.basePort + Number(nodeId.split("-")[1]);
  const out = execFileSync("pgrep", ["-f", "--", `--node-id ${nodeId} --port ${port} `], {
    encoding: "utf8",
  });
  return Number(out.trim().split("\n")[0]);
}
