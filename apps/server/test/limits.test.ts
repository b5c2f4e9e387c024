import { connect } from "node:net";
import { DEFAULT_LIMITS } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SOCKET_LIMITS } from "../src/node/socket-options.js";
import { call, EMPTY, frame, Harness } from "./helpers.js";

const harness = new Harness();
afterEach(() => harness.cleanup());

/** Milliseconds until the node closes a TCP connection that never says anything. */
function silentConnectionLifetime(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, "127.0.0.1");
    socket.on("data", () => {}); // the node's ZMTP greeting; we never answer it
    socket.once("close", () => resolve(Date.now() - started));
    socket.once("error", reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error("the node kept a silent connection open for 10 s"));
    }, 10_000).unref();
  });
}

describe("limits that protect a node", () => {
  it("has defaults that keep what SocketLimits promises, and cannot be changed in place", () => {
    const limits = DEFAULT_SOCKET_LIMITS;
    // The byte limit holds at least the largest reply, or a client asking for one would be dropped.
    expect(limits.maxReplyBytesPerPeer).toBeGreaterThanOrEqual(DEFAULT_LIMITS.maxMessageBytes);
    // A peer is dropped for silence only after missing heartbeats, never between two of them.
    expect(limits.heartbeatTimeoutMs).toBeGreaterThan(limits.heartbeatIntervalMs);
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it("drops a connection that does not finish its handshake within handshakeInterval", async () => {
    const node = await harness.node(undefined, { socketLimits: { handshakeIntervalMs: 300 } });
    const lifetime = await silentConnectionLifetime(Number(node.endpoint.split(":").pop()));
    expect(lifetime).toBeGreaterThanOrEqual(250);
    expect(lifetime).toBeLessThan(5000);
  });

  it("keeps answering other peers promptly while one peer floods it and never reads a reply", async () => {
    const node = await harness.node(undefined, { socketLimits: { maxQueuedPerPeer: 100 } });
    const flooder = harness.dealer(node);
    const polite = harness.dealer(node);
    expect(await call(polite, { op: "PING" })).toMatchObject({ ok: true });
    const value = "x".repeat(1000);
    const flood = (async () => {
      for (let i = 0; i < 20_000; i++)
        await flooder.send([EMPTY, frame(JSON.stringify({ op: "PUT", key: `f${i}`, value }))]);
    })();
    // How far the flood had got when each PING was answered: counted in flood messages the node
    // applied, not in milliseconds, so a slow or loaded machine changes nothing.
    const behind: number[] = [];
    for (let i = 0; i < 20; i++) {
      expect(await call(polite, { op: "PING", id: i })).toMatchObject({ ok: true, id: i });
      behind.push(node.store.size);
    }
    await flood;
    // Fair queueing: a PING waits behind one turn's read of the flood (about 500 messages), not
    // behind everything the flooder has queued (20,000 at most; the first PING already met its
    // head start).
    expect(behind[0]).toBeLessThan(5_000);
    for (let i = 1; i < behind.length; i++) expect(behind[i]! - behind[i - 1]!).toBeLessThan(2_000);
  });
});
