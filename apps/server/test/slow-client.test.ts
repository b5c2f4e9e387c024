import { eventually, freePorts } from "@zkv/membership/testing";
import type { Reply, StatsReply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { Dealer } from "zeromq";
import { type IdDealer, TestProcesses } from "./support/processes.js";

/**
 * Real node processes and a real DEALER that never reads its replies: what the node keeps for
 * such a client is bounded in bytes (--client-output-limit), past it the client is dropped, and
 * everyone else is served meanwhile. The bound is asserted through the node's own counters
 * (STATS, /metrics), never through its RSS.
 */
const processes = new TestProcesses();
const sockets: Dealer[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await processes.cleanup();
});

const KEYS = 1000;
/** 1000 keys of 1000-byte values: one GET_ALL of them all is a ~1 MB reply. */
const VALUE = "v".repeat(1000);
const GET_ALL = Buffer.from(JSON.stringify({ op: "GET_ALL", limit: 10_000 }));

type Counters = Required<
  Pick<StatsReply, "opsServed" | "replyQueueBytes" | "replyQueueMaxBytes" | "clientsDropped">
>;

interface Loaded {
  readonly port: number;
  readonly metricsPort: number;
  /** A well-behaved client: reads every reply. */
  readonly client: IdDealer;
}

/** A node process holding KEYS keys, started with `args`. */
async function loadedNode(args: readonly string[]): Promise<Loaded> {
  const [port, metricsPort] = (await freePorts(2)) as [number, number];
  await processes.node("node-0", port, [...args, "--metrics-port", String(metricsPort)], { ZKV_STATIC: "1" });
  const client = processes.dealer(port);
  const ops = Array.from({ length: KEYS }, (_, i) => ({ op: "PUT", key: `k${i}`, value: VALUE }));
  const loaded = (await client.request({ op: "BATCH", ops })) as { results: Reply[] };
  expect(loaded.results.every((r) => !("error" in r))).toBe(true);
  return { port, metricsPort, client };
}

/**
 * A DEALER that sends and never reads: a receive queue of one message and a small kernel buffer,
 * so nearly everything the node answers stays on the node's side.
 */
function nonReader(port: number): Dealer {
  const socket = new Dealer({ linger: 0, receiveHighWaterMark: 1, receiveBufferSize: 64 * 1024 });
  sockets.push(socket);
  socket.connect(`tcp://127.0.0.1:${port}`);
  return socket;
}

async function sendGetAlls(socket: Dealer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await socket.send([Buffer.alloc(0), GET_ALL]);
}

async function counters(client: IdDealer): Promise<Counters> {
  return (await client.request({ op: "STATS" })) as Counters;
}

/** STATS, asked again until `ok` holds (each ask is a request the node must answer). */
async function countersWhen(client: IdDealer, ok: (c: Counters) => boolean, timeoutMs?: number) {
  let last: Counters | undefined;
  await eventually(async () => {
    last = await counters(client);
    return ok(last);
  }, timeoutMs);
  return last!;
}

async function metric(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

describe("a client that does not read its replies", () => {
  it("is dropped past --client-output-limit, its queue freed, while other clients are served", async () => {
    const limit = 4 * 1024 * 1024;
    const { metricsPort, port, client } = await loadedNode(["--client-output-limit", "4mb"]);
    const slow = nonReader(port);
    // ~100 MB of replies asked for: far past the limit plus what the kernel and ZeroMQ buffer.
    await sendGetAlls(slow, 100);
    // Each poll is itself a request from another client, answered while the slow one waits.
    const dropped = await countersWhen(client, (c) => c.clientsDropped === 1, 30_000);
    expect(dropped.replyQueueMaxBytes).toBeGreaterThan(0);
    expect(dropped.replyQueueMaxBytes).toBeLessThanOrEqual(limit);
    await countersWhen(client, (c) => c.replyQueueBytes === 0);
    expect(await client.request({ op: "GET_ONE", key: "k7" })).toEqual({
      key: "k7",
      value: VALUE,
      id: expect.any(Number),
    });
    expect(await metric(metricsPort, "zkv_clients_dropped_total")).toBe(1);
    expect(await metric(metricsPort, "zkv_reply_queue_bytes")).toBe(0);

    // The dropped client gets what was already on its way, never all 100 replies, and nothing
    // for a request sent after the drop.
    await slow.send([Buffer.alloc(0), Buffer.from(JSON.stringify({ op: "PING", id: "after" }))]);
    slow.receiveTimeout = 2000;
    let received = 0;
    try {
      for (;;) {
        const frames = await slow.receive();
        expect(frames[1]!.toString()).not.toContain('"after"');
        received++;
      }
    } catch (err) {
      expect((err as { code?: string }).code).toBe("EAGAIN"); // nothing more came
    }
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(100);
    expect((await counters(client)).clientsDropped).toBe(1);
  });

  it("frees what was queued for it as soon as it disconnects", async () => {
    const { port, client } = await loadedNode([]);
    const slow = nonReader(port);
    // ~40 MB: more than the kernel and ZeroMQ hold, less than the default limit (64 MiB).
    await sendGetAlls(slow, 40);
    const queued = await countersWhen(client, (c) => c.replyQueueBytes > 0);
    expect(queued.clientsDropped).toBe(0);
    slow.close();
    expect((await countersWhen(client, (c) => c.replyQueueBytes === 0)).clientsDropped).toBe(0);
  });
});
