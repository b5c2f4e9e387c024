/**
 * The transport's own floor: round trips of a tiny message between a zeromq.js DEALER here and
 * an echo ROUTER in another Node process, with nothing of zkv in between. zkv's single-caller
 * latency cannot go below this, whatever the store or the protocol do.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { freePortRange } from "@zkv/membership/testing";
import { Dealer } from "zeromq";
import { type CpuPerOp, processCpuSeconds, selfCpuSeconds } from "./cpu.js";
import { percentile } from "./zkv.js";

const ECHO = `
const { Router } = require("zeromq");
const socket = new Router();
socket.bind("tcp://127.0.0.1:" + process.argv[1]).then(async () => {
  process.stdout.write("ready\\n");
  for await (const frames of socket) await socket.send(frames);
});`;

/**
 * p50 and p99 in ms of `n` sequential round trips of a 100-byte message, and the CPU each side
 * spent per round trip (µs; "node" is the echo process): the transport's share of zkv's. The
 * first `warmUp` round trips are not counted (zkv's single row skips as many: SINGLE_WARM_UP).
 */
export async function zeromqRoundTrip(
  n: number,
  warmUp = 100,
): Promise<{ p50ms: number; p99ms: number; cpu: CpuPerOp }> {
  const { peer: echo, dealer, stop } = await scriptPeer(ECHO, "echo server");
  try {
    const body = Buffer.alloc(100, "x");
    const lat: number[] = [];
    let client0 = 0;
    let echo0 = 0;
    for (let i = 0; i < n + warmUp; i++) {
      if (i === warmUp) {
        client0 = selfCpuSeconds();
        echo0 = processCpuSeconds(echo.pid!);
      }
      const t = performance.now();
      await dealer.send(body);
      await dealer.receive();
      if (i >= warmUp) lat.push(performance.now() - t);
    }
    const cpu = {
      client: ((selfCpuSeconds() - client0) / n) * 1e6,
      node: ((processCpuSeconds(echo.pid!) - echo0) / n) * 1e6,
    };
    lat.sort((a, b) => a - b);
    return { p50ms: percentile(lat, 50), p99ms: percentile(lat, 99), cpu };
  } finally {
    stop();
  }
}

/**
 * Another Node process running `script` (CommonJS; its port in argv[1]), which binds a ROUTER
 * there and prints a line once bound, and a DEALER here connected to it; stop() closes the
 * DEALER and kills the process (idempotent).
 */
export async function scriptPeer(
  script: string,
  what: string,
): Promise<{ peer: ChildProcess; dealer: Dealer; stop(): void }> {
  const port = await freePortRange(1);
  const peer = spawn(process.execPath, ["-e", script, String(port)], {
    stdio: ["ignore", "pipe", "inherit"],
    cwd: new URL(".", import.meta.url),
  });
  const dealer = new Dealer({ linger: 0 });
  const stop = () => {
    if (!dealer.closed) dealer.close();
    peer.kill("SIGKILL");
  };
  try {
    await new Promise<void>((resolve, reject) => {
      peer.stdout?.once("data", () => resolve());
      peer.once("exit", (code) => reject(new Error(`${what} exited ${code}`)));
    });
  } catch (err) {
    stop();
    throw err;
  }
  dealer.connect(`tcp://127.0.0.1:${port}`);
  return { peer, dealer, stop };
}
