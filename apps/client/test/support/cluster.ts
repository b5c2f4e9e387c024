import { type ChildProcess, spawn } from "node:child_process";
import { ClusterSettings, replication } from "@zkv/membership";
import {
  startTestConsul,
  type TestConsul,
  trackPid,
  trackProcessGroup,
  untrackPid,
} from "@zkv/membership/testing";
import { programArgv, startZkvCluster, type ZkvTestCluster } from "@zkv/server/testing";

/** A launcher and its nodes (one process group) started by a test: @zkv/server/testing's cluster. */
export type TestCluster = ZkvTestCluster;

/**
 * Starts `pnpm --filter server start` equivalent against a Consul and waits for "ready". A
 * restarted launcher passes the `basePort` of the first, as an operator reruns the same command.
 */
export function startCluster(
  env: Record<string, string>,
  args: readonly string[] = [],
  options: { readonly basePort?: number } = {},
): Promise<TestCluster> {
  return startZkvCluster({ env, args, ...options });
}

/** A Consul agent of its own and a cluster registered in it; stop() stops both. */
export interface ConsulTestCluster {
  readonly consul: TestConsul;
  readonly cluster: TestCluster;
  stop(): Promise<void>;
}

/**
 * Starts a Consul agent, stores a cluster of `size` nodes keeping `n` copies of each key (quorums
 * the majorities), and starts the launcher with `args` against it.
 */
export async function startReplicatedCluster(
  size: number,
  n: number,
  args: readonly string[] = [],
): Promise<ConsulTestCluster> {
  const consul = await startTestConsul();
  try {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(size);
    await settings.setReplication(replication(n));
    const cluster = await startCluster(consul.env, args);
    return {
      consul,
      cluster,
      async stop() {
        await cluster.stop();
        await consul.stop();
      },
    };
  } catch (err) {
    await consul.stop();
    throw err;
  }
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
  return spawnMain("client", args, env);
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
  const { child, outcome } = spawnMain("server", args, env, true);
  const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
  return outcome.finally(() => clearTimeout(timer));
}

function spawnMain(
  program: "server" | "client",
  args: readonly string[],
  env: Record<string, string>,
  group = false,
): { readonly child: ChildProcess; readonly outcome: Promise<CliOutcome> } {
  const child = spawn(process.execPath, [...programArgv(program), ...args], {
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
