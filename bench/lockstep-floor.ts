/**
 * The 50-caller row's floor: what zeromq.js and JSON alone allow when callers wait for their
 * replies, with nothing of zkv in between. `callers` loops here each await one PUT at a time;
 * the PUTs made in one turn go as one message of columns (as zkv's batcher sends them) to a
 * ROUTER in another Node process that parses it, sets each key in a Map and answers
 * `{"id":…,"done":n}` (as a zkv node does); each reply settles its callers, whose next PUTs make
 * the next message. So the two processes take turns, as client and node do under zkv's
 * concurrent row: zkv's ops/s there cannot go above this, whatever the store or the routing do.
 */
import { type CpuPerOp, processCpuSeconds, selfCpuSeconds } from "./cpu.js";
import { scriptPeer } from "./zeromq-floor.js";
import { keyMaker } from "./zkv.js";

const NODE = `
const { Router } = require("zeromq");
const socket = new Router();
const map = new Map();
socket.bind("tcp://127.0.0.1:" + process.argv[1]).then(async () => {
  process.stdout.write("ready\\n");
  for await (const [from, body] of socket) {
    const { id, columns } = JSON.parse(body.toString());
    const { keys, values } = columns;
    for (let i = 0; i < keys.length; i++) map.set(keys[i], values[i]);
    await socket.send([from, JSON.stringify({ id, done: keys.length })]);
  }
});`;

/** ops/s of `n` PUTs of 100-byte values from `callers` waiting callers, and each side's CPU per op (µs). */
export async function lockstepFloor(
  callers: number,
  n: number,
): Promise<{ opsPerSec: number; cpu: CpuPerOp }> {
  const { peer: node, dealer, stop } = await scriptPeer(NODE, "floor node");
  try {
    const waiting = new Map<number, Array<() => void>>();
    let keys: string[] = [];
    let values: string[] = [];
    let settlers: Array<() => void> = [];
    let nextId = 0;
    const flush = () => {
      const id = ++nextId;
      waiting.set(id, settlers);
      void dealer.send(
        JSON.stringify({ op: "BATCH", id, columns: { ops: "P".repeat(keys.length), keys, values } }),
      );
      keys = [];
      values = [];
      settlers = [];
    };
    const put = (key: string, value: string) =>
      new Promise<void>((resolve) => {
        if (settlers.push(resolve) === 1) process.nextTick(flush);
        keys.push(key);
        values.push(value);
      });
    const receiving = (async () => {
      for await (const [body] of dealer) {
        const { id } = JSON.parse(body!.toString()) as { id: number };
        for (const settle of waiting.get(id) ?? []) settle();
        waiting.delete(id);
      }
    })();
    const value = "x".repeat(100);
    const keyOf = keyMaker("flr:");
    const run = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (next < count) await put(keyOf(next++), value);
        }),
      );
    };
    await run(Math.min(n, 50_000)); // warm-up, as zkv's concurrent rows are warmed up
    const client0 = selfCpuSeconds();
    const node0 = processCpuSeconds(node.pid!);
    const start = performance.now();
    await run(n);
    const seconds = (performance.now() - start) / 1000;
    const cpu = {
      client: ((selfCpuSeconds() - client0) / n) * 1e6,
      node: ((processCpuSeconds(node.pid!) - node0) / n) * 1e6,
    };
    dealer.close();
    await receiving.catch(() => {});
    return { opsPerSec: n / seconds, cpu };
  } finally {
    stop();
  }
}
