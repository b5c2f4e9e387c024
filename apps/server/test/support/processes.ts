import { eventually } from "@zkv/membership/testing";
import { decodeReply, type Reply } from "@zkv/protocol";
import { Dealer } from "zeromq";
import { pingNode } from "../../src/ping.js";
import { spawnZkvServer, type ZkvServerProcess } from "../../src/testing/index.js";

/** A zkv server process (a node, or a launcher with its nodes: one process group) run by a test. */
export type ServerProcess = ZkvServerProcess;

/** Runs `zkv-server <args>` (with --log-level warn) through @zkv/server/testing, without waiting. */
export function runServer(args: readonly string[], env: Record<string, string> = {}): ServerProcess {
  return spawnZkvServer(args, { env });
}

/** Starts a single node (`--node-id`) and resolves once it answers PING on `port`. */
export async function startNode(
  nodeId: string,
  port: number,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const proc = runServer(["--node-id", nodeId, "--port", String(port), "--metrics-port", "0", ...args], env);
  try {
    await eventually(async () => {
      if (proc.child.exitCode !== null)
        throw new Error(`node exited ${proc.child.exitCode}:\n${proc.output()}`);
      return pingNode("127.0.0.1", port, 500);
    }, 30_000);
  } catch (err) {
    await proc.stop("SIGKILL");
    throw err;
  }
  return proc;
}

/**
 * A DEALER that sends requests with ids and matches replies by id, many in flight: what a
 * pipelining client does, without the client package.
 */
export class IdDealer {
  readonly #socket = new Dealer({ linger: 0, receiveTimeout: 10_000, sendHighWaterMark: 0 });
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #next = 0;
  #reading: Promise<void>;
  /** zeromq.js allows one send in flight per socket: sends are chained. */
  #sending: Promise<void> = Promise.resolve();

  constructor(port: number) {
    this.#socket.connect(`tcp://127.0.0.1:${port}`);
    this.#reading = this.#read();
  }

  request(body: Record<string, unknown>): Promise<Reply> {
    const id = this.#next++;
    const reply = new Promise<Reply>((resolve) => this.#waiting.set(id, resolve));
    const frames = [Buffer.alloc(0), Buffer.from(JSON.stringify({ ...body, id }))];
    this.#sending = this.#sending.then(() => this.#socket.send(frames)).catch(() => {});
    return reply;
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const frames = await this.#socket.receive();
        const reply = decodeReply(frames[frames.length - 1]!);
        this.#waiting.get(reply.id as number)?.(reply);
        this.#waiting.delete(reply.id as number);
      }
    } catch {
      // closed, or no reply for 10 s (the node was killed): pending requests stay unanswered
    }
  }

  close(): Promise<void> {
    this.#socket.close();
    return this.#reading;
  }
}

/**
 * The node processes and IdDealers one test file starts: `cleanup()` (in afterEach) closes every
 * dealer, then SIGKILLs every process, even when the test failed halfway.
 */
export class TestProcesses {
  readonly #servers: ServerProcess[] = [];
  readonly #dealers: IdDealer[] = [];

  /** `startNode`, remembered for cleanup. */
  async node(nodeId: string, port: number, args: readonly string[], env: Record<string, string> = {}) {
    const proc = await startNode(nodeId, port, args, env);
    this.#servers.push(proc);
    return proc;
  }

  /** `runServer`, remembered for cleanup. */
  run(args: readonly string[], env: Record<string, string> = {}): ServerProcess {
    const proc = runServer(args, env);
    this.#servers.push(proc);
    return proc;
  }

  dealer(port: number): IdDealer {
    const dealer = new IdDealer(port);
    this.#dealers.push(dealer);
    return dealer;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.#dealers.splice(0).map((d) => d.close()));
    await Promise.all(this.#servers.splice(0).map((p) => p.stop("SIGKILL")));
  }
}
