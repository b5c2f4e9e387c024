import type { ChildProcess } from "node:child_process";
import { listMembers } from "@zkv/membership";
import { eventually, type TestConsul, untrackPid } from "@zkv/membership/testing";
import { programArgv } from "@zkv/server/testing";
import type { NetnsHost, NetnsLab } from "./netns.js";

/** A zkv node process running in one host of a NetnsLab. */
export interface NetnsNode {
  readonly id: string;
  readonly child: ChildProcess;
  /** The last 20k characters it printed (stdout and stderr). */
  output(): string;
}

/**
 * Starts node `id` in `host` on `port`, binding 0.0.0.0 in its namespace and advertising the
 * host's address in Consul. Does not wait for it to register.
 */
export function spawnNetnsNode(
  lab: NetnsLab,
  host: NetnsHost,
  id: string,
  consul: TestConsul,
  port: number,
  extraArgs: readonly string[] = [],
): NetnsNode {
  const child = lab.spawnNode(
    host,
    [
      ...programArgv("server"),
      ...["--node-id", id, "--port", String(port), "--host", "0.0.0.0"],
      ...["--advertise", host.address, "--ttl", "2", "--log-level", "warn"],
      ...extraArgs,
    ],
    consul.env,
  );
  let output = "";
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { id, child, output: () => output };
}

/**
 * Starts `node-<i>` in each of the lab's first `count` hosts (all of them by default), all on the
 * same `port`; resolves once Consul shows every node passing. A node that exits meanwhile fails
 * the start at once, with every node's output.
 */
export async function startNetnsNodes(
  lab: NetnsLab,
  consul: TestConsul,
  port: number,
  extraArgs: readonly string[] = [],
  count = lab.hosts.length,
): Promise<NetnsNode[]> {
  const nodes = lab.hosts
    .slice(0, count)
    .map((host, i) => spawnNetnsNode(lab, host, `node-${i}`, consul, port, extraArgs));
  let onExit: (reason: Error) => void = () => {};
  const earlyExit = new Promise<never>((_, reject) => (onExit = reject));
  earlyExit.catch(() => {});
  for (const n of nodes)
    n.child.once("exit", (code, signal) => onExit(new Error(`${n.id} exited (${code ?? signal})`)));
  try {
    await Promise.race([
      earlyExit,
      eventually(async () => {
        const members = await listMembers(consul.config);
        return members.length === nodes.length && members.every((m) => m.health === "passing");
      }, 45_000),
    ]);
  } catch (err) {
    await Promise.all(nodes.map(stopNetnsNode));
    throw new Error(`${(err as Error).message}\n${netnsDiagnostics(consul, nodes)}`);
  }
  return nodes;
}

/** What Consul and each node printed, for a failure's message. */
export function netnsDiagnostics(consul: TestConsul | undefined, nodes: readonly NetnsNode[]): string {
  return [
    `consul:\n${consul?.output() ?? ""}`,
    ...nodes.map((n) => `${n.id} (exit ${n.child.exitCode ?? n.child.signalCode}):\n${n.output()}`),
  ].join("\n");
}

/** SIGTERM, SIGKILL after 5 s, then the process group: nothing of the node is left running. */
export async function stopNetnsNode(node: NetnsNode): Promise<void> {
  const { child } = node;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // the group is gone
  }
  untrackPid(child.pid);
}
