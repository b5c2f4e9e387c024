import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { ConsulConfig } from "../config.js";
import { aclAgentConfig, installZkvPolicy, newAclTokens } from "./acl.js";
import { findConsulBinary } from "./consul-binary.js";
import { trackPid, untrackPid } from "./pids.js";
import { freePorts } from "./ports.js";

/** A throwaway `consul agent -dev` owned by one test (or one test file). */
export interface TestConsul {
  /** `http://127.0.0.1:PORT`, the form CONSUL_HTTP_ADDR takes. */
  readonly addr: string;
  /** What zkv uses: with ACLs, carries the token of zkv's documented policy (and only that). */
  readonly config: ConsulConfig;
  /** Environment for child processes: CONSUL_HTTP_ADDR (and CONSUL_HTTP_TOKEN) for this agent. */
  readonly env: Record<string, string>;
  /** True when the agent enforces ACLs (default deny). */
  readonly acl: boolean;
  /** The zkv policy's token; undefined without ACLs. */
  readonly token: string | undefined;
  /** For test steps that play the operator (writing the CURVE allow-list); never for zkv itself. */
  readonly managementConfig: ConsulConfig;
  readonly pid: number;
  /** What the agent printed, for failure messages. */
  output(): string;
  /** SIGSTOP: the agent hangs, as a partitioned one would (returns once it has stopped). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the agent (SIGINT, then SIGKILL after a grace period); safe to call twice. */
  stop(): Promise<void>;
  /** Stops and starts the agent again on the same ports; a dev agent comes back empty. */
  restart(): Promise<void>;
}

export interface TestConsulOptions {
  /**
   * Address the agent binds and serves HTTP on. Default 127.0.0.1; a test that runs nodes in
   * network namespaces passes its bridge address so they can reach the agent.
   */
  readonly address?: string;
  /** How long to wait for a leader. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Grace period between SIGINT and SIGKILL. Default 5 s. */
  readonly stopGraceMs?: number;
  /**
   * ACLs on, default deny, and a token of zkv's documented policy (deploy/consul-acl-policy.hcl)
   * in `config` and `env`. Default true, so every suite proves that policy is enough.
   */
  readonly acl?: boolean;
  /**
   * Picks the agent's four ports (HTTP, serf LAN, serf WAN, server RPC). Default: four free ports
   * from the kernel. For tests of what happens when one is taken before the agent binds it.
   */
  readonly ports?: () => Promise<number[]>;
}

/**
 * Agents started, on new ports each time, when one exits because a port it was given was taken
 * meanwhile: free ports are found by binding and releasing them, so another process (a test
 * running beside this one, any outgoing connection) can take one before the agent binds it.
 * hashicorp/consul's sdk/testutil retries the same way.
 */
const PORT_ATTEMPTS = 5;

/**
 * Starts a real dev agent bound to 127.0.0.1 (or `options.address`) on free ports (HTTP, serf LAN/WAN, server RPC; DNS
 * and gRPC off, since parallel dev agents collide on their fixed defaults otherwise) and waits
 * until the API answers and a leader is known. Its pid is recorded for the vitest global teardown
 * (see globalSetup), so no agent outlives a test run even when a worker dies. With `acl` (the
 * default) the agent denies by default and zkv's policy and token are installed before it is
 * handed out, and again after restart().
 */
export async function startTestConsul(options: TestConsulOptions = {}): Promise<TestConsul> {
  const pick = options.ports ?? (() => freePorts(4));
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn((await pick()) as [number, number, number, number], options);
    } catch (err) {
      if (attempt >= PORT_ATTEMPTS || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

/** startTestConsul on the given ports: fails (the agent stopped) when it cannot bind one. */
async function startOn(
  [http, serfLan, serfWan, server]: [number, number, number, number],
  options: TestConsulOptions,
): Promise<TestConsul> {
  const bin = findConsulBinary();
  const address = options.address ?? "127.0.0.1";
  const args = [
    "agent",
    "-dev",
    `-bind=${address}`,
    `-client=${address}`,
    `-http-port=${http}`,
    `-serf-lan-port=${serfLan}`,
    `-serf-wan-port=${serfWan}`,
    `-server-port=${server}`,
    "-dns-port=-1",
    "-grpc-port=-1",
    "-grpc-tls-port=-1",
    `-node=zkv-test-${http}`,
    "-log-level=warn",
  ];
  const acl = options.acl ?? true;
  const tokens = newAclTokens();
  if (acl) args.push(`-hcl=${aclAgentConfig(tokens)}`);
  const addr = `http://${address}:${http}`;
  let child: ChildProcess;
  let output = "";
  let stopped = false;

  const launch = async () => {
    child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    trackPid(child.pid);
    try {
      const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
      await waitForLeader(addr, child, options.readyTimeoutMs ?? 30_000, () => output);
      if (acl) await installZkvPolicy(addr, tokens, deadline);
    } catch (err) {
      await kill();
      throw err;
    }
  };

  const kill = async () => {
    const c = child;
    if (c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((resolve) => c.once("exit", resolve));
      c.kill("SIGCONT");
      c.kill("SIGINT");
      const timer = setTimeout(() => c.kill("SIGKILL"), options.stopGraceMs ?? 5000);
      await exited;
      clearTimeout(timer);
    }
    untrackPid(c.pid);
  };

  await launch();
  const plain: ConsulConfig = { host: address, port: http, secure: false };
  return {
    addr,
    config: acl ? { ...plain, token: tokens.zkv } : plain,
    env: acl ? { CONSUL_HTTP_ADDR: addr, CONSUL_HTTP_TOKEN: tokens.zkv } : { CONSUL_HTTP_ADDR: addr },
    acl,
    token: acl ? tokens.zkv : undefined,
    managementConfig: acl ? { ...plain, token: tokens.management } : plain,
    get pid() {
      return child.pid ?? -1;
    },
    output: () => output,
    pause: () => {
      child.kill("SIGSTOP");
      waitUntilStopped(child.pid);
    },
    resume: () => child.kill("SIGCONT"),
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill();
    },
    async restart() {
      await kill();
      await launch();
    },
  };
}

async function waitForLeader(addr: string, child: ChildProcess, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`consul agent exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${addr}/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
      const leader = (await res.json()) as string;
      if (res.ok && leader) return;
      last = `leader "${leader}"`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`consul agent at ${addr} had no leader after ${timeoutMs} ms (${last}):\n${output()}`);
}

/**
 * Signals are delivered asynchronously: until the kernel has stopped every thread, the agent may
 * still answer a request. Waits (briefly, synchronously) until /proc says the process is stopped.
 */
function waitUntilStopped(pid: number | undefined): void {
  if (!pid) return;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (/\) [tT] /.test(stat)) return;
    } catch {
      return; // no /proc (not Linux) or the process is gone: nothing better to wait for
    }
  }
}
