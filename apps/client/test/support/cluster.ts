import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually, freePortRange, trackProcessGroup, untrackPid } from "@zkv/membership/testing";

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

/** Starts `pnpm --filter server start` equivalent against a Consul and waits for "ready". */
export async function startCluster(
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<TestCluster> {
  const basePort = await freePortRange(8);
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

/** Runs the zkv CLI as a user would; resolves to its exit code and output. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit(CLIENT_MAIN, args, env);
}

/**
 * Runs the server CLI to its exit, for starts that must be refused; a start that succeeds is
 * killed (with its nodes) after `timeoutMs`, so the test fails instead of leaking a cluster.
 */
export function runServer(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runToExit(SERVER_MAIN, args, env, timeoutMs);
}

function runToExit(
  main: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: timeoutMs !== undefined,
    });
    if (timeoutMs !== undefined) trackProcessGroup(child.pid);
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (timeoutMs !== undefined) untrackPid(child.pid);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Pid of the node process serving `nodeId` (`node-<i>`, on port basePort + i) in a test cluster. */
export function nodePid(cluster: TestCluster, nodeId: string): number {
  const port = cluster.basePort + Number(nodeId.split("-")[1]);
  const out = execFileSync("pgrep", ["-f", "--", `--node-id ${nodeId} --port ${port} `], {
    encoding: "utf8",
  });
  return Number(out.trim().split("\n")[0]);
}
