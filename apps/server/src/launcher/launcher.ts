import { type ChildProcess, spawn } from "node:child_process";
import {
  type ConsulConfig,
  formatConsulAddr,
  listMembers,
  type Member,
  REPLICA_STATE_META,
} from "@zkv/membership";
import type { Logger } from "../logger.js";
import { nodeEnv } from "./node-env.js";

/** One node the launcher runs. */
export interface NodeSpec {
  readonly id: string;
  readonly port: number;
}

export interface LauncherOptions {
  readonly nodes: readonly NodeSpec[];
  /** The entry script to run a node with (this app's main), and the args every node gets. */
  readonly entry: string;
  readonly nodeArgs: readonly string[];
  /** Consul mode when set: nodes register there and readiness is read from it. */
  readonly consul?: ConsulConfig;
  readonly logger: Logger;
  /** Extra environment for node processes. */
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
}

/** Restart delays after consecutive crashes: quick first, capped so a crash loop stays cheap. */
const RESTART_BACKOFF_MS = [250, 500, 1000, 2000, 5000];
/** A node that ran this long without crashing has its backoff reset. */
const STABLE_AFTER_MS = 30_000;

interface Supervised {
  spec: NodeSpec;
  child: ChildProcess;
  crashes: number;
  startedAt: number;
  exited: Promise<void>;
  restartTimer?: NodeJS.Timeout;
}

/**
 * The seed's server_consumer: starts one process per node, waits until every node is serving,
 * restarts a node that crashes (non-zero exit or killed by a signal it did not ask for), leaves
 * alone a node that exited 0 on purpose, and stops them all on close().
 */
export class ClusterLauncher {
  readonly #nodes = new Map<string, Supervised>();
  /** Ids the cluster wants running now, as far as the launcher was told (see want()). */
  readonly #wanted = new Set<string>();
  readonly #log: Logger;
  #stopping = false;

  constructor(private readonly options: LauncherOptions) {
    this.#log = options.logger;
  }

  /**
   * Starts every node and resolves once all are serving (in Consul mode: registered, passing, and
   * done bootstrapping, so a client's first write finds its w replicas).
   */
  async start(): Promise<Member[] | undefined> {
    for (const spec of this.options.nodes) this.#spawn(spec, 0);
    if (!this.options.consul) return undefined;
    return this.waitForConsul(this.options.consul);
  }

  /**
   * Starts a node that the cluster now wants (an add-node pushed from Consul); a node this
   * launcher already runs, or is about to restart, is left as it is.
   */
  ensure(spec: NodeSpec): boolean {
    this.#wanted.add(spec.id);
    if (this.#stopping || this.#nodes.has(spec.id)) return false;
    this.#spawn(spec, 0);
    return true;
  }

  /**
   * Stops a node the cluster no longer wants (an add that was rolled back) and does not restart
   * it; false when this launcher does not run it.
   */
  retire(id: string): boolean {
    this.#wanted.delete(id);
    const node = this.#nodes.get(id);
    if (!node) return false;
    this.#nodes.delete(id); // #onExit ignores a process no longer in the map: no restart
    clearTimeout(node.restartTimer);
    node.child.kill("SIGTERM");
    return true;
  }

  /** The cluster no longer wants `id` (removed): when it exits cleanly, it stays stopped. */
  unwant(id: string): void {
    this.#wanted.delete(id);
  }

  /** Ids of the nodes this launcher runs. */
  get running(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Pid of a node's current process, for operators and tests. */
  pidOf(id: string): number | undefined {
    return this.#nodes.get(id)?.child.pid;
  }

  /** SIGTERM to every node, SIGKILL to any still running after `graceMs`; safe to call twice. */
  async close(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    const all = [...this.#nodes.values()];
    for (const node of all) {
      clearTimeout(node.restartTimer);
      node.child.kill("SIGTERM");
    }
    const killer = setTimeout(() => {
      for (const node of all) node.child.kill("SIGKILL");
    }, graceMs);
    await Promise.all(all.map((n) => n.exited));
    clearTimeout(killer);
    this.#log.info({ nodes: all.length }, "all nodes stopped");
  }

  #spawn(spec: NodeSpec, crashes: number): void {
    const args = [
      ...process.execArgv,
      this.options.entry,
      "--node-id",
      spec.id,
      "--port",
      String(spec.port),
      ...this.options.nodeArgs,
    ];
    const env = nodeEnv(process.env, this.options.env);
    if (this.options.consul) env.CONSUL_HTTP_ADDR = formatConsulAddr(this.options.consul);
    // The IPC channel is how a node notices that its launcher died (see run-node's launcherGone).
    const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], env });
    child.channel?.unref();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const node: Supervised = { spec, child, crashes, startedAt: Date.now(), exited };
    this.#nodes.set(spec.id, node);
    child.once("exit", (code, signal) => this.#onExit(node, code, signal));
    this.#log.info({ node: spec.id, port: spec.port, childPid: child.pid }, "node process started");
  }

  #onExit(node: Supervised, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#stopping || this.#nodes.get(node.spec.id) !== node) return;
    if (code === 0 && this.#wanted.has(node.spec.id)) {
      // It left (removed) and the cluster has since added it again: a fresh process takes its place.
      this.#log.info({ node: node.spec.id }, "node exited but is wanted again; starting it afresh");
      this.#spawn(node.spec, 0);
      return;
    }
    if (code === 0) {
      this.#log.info({ node: node.spec.id }, "node exited cleanly; not restarting");
      this.#nodes.delete(node.spec.id);
      return;
    }
    const stable = Date.now() - node.startedAt > STABLE_AFTER_MS;
    const crashes = stable ? 0 : node.crashes + 1;
    const delay = RESTART_BACKOFF_MS[Math.min(crashes, RESTART_BACKOFF_MS.length - 1)]!;
    this.#log.warn({ node: node.spec.id, code, signal, restartInMs: delay }, "node crashed; restarting");
    node.restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#spawn(node.spec, crashes);
    }, delay);
  }

  /**
   * Resolves once every node in `nodes` that this launcher still runs is registered, passing and
   * not bootstrapping in Consul. A node that left meanwhile (exit 0: a remove-node in the record
   * the launcher started from ended while the nodes started) is not waited for.
   */
  async waitForConsul(
    consul: ConsulConfig,
    nodes: readonly NodeSpec[] = this.options.nodes,
  ): Promise<Member[]> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    let last: Member[] = [];
    while (Date.now() < deadline) {
      const ids = new Set(nodes.map((n) => n.id).filter((id) => this.#nodes.has(id)));
      try {
        last = (await listMembers(consul)).filter((m) => ids.has(m.id));
        if (last.length === ids.size && last.every(serving)) return last;
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, "waiting for Consul");
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = last.filter(serving).map((m) => m.id);
    throw new Error(
      `nodes not ready after ${this.options.readyTimeoutMs ?? 30_000} ms (serving: ${ready.join(", ") || "none"})`,
    );
  }
}

/** Passing, and (with replication) done bootstrapping. */
function serving(m: Member): boolean {
  return m.health === "passing" && m.meta[REPLICA_STATE_META] !== "bootstrapping";
}
