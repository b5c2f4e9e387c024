import { decodeReply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { call, EMPTY, expectEnvelope, frame, Harness } from "./helpers.js";

const harness = new Harness();
afterEach(() => harness.cleanup());

describe("ZkvNode.close()", () => {
  it("answers every request sent before close() was called", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    // Make sure the connection is up, so "sent" means on its way to the node.
    expect(await call(dealer, { op: "PING" })).toMatchObject({ ok: true });
    const n = 500;
    for (let i = 0; i < n; i++) {
      await dealer.send([EMPTY, frame(JSON.stringify({ op: "PUT", key: `k${i}`, value: "v", id: i }))]);
    }
    const closing = node.close();
    const ids = new Set<unknown>();
    for (let i = 0; i < n; i++) {
      const frames = await dealer.receive();
      expectEnvelope(frames);
      const reply = decodeReply(frames[1]!, "PUT");
      expect(reply).toEqual({ ok: true, id: reply.id });
      ids.add(reply.id);
    }
    expect(ids.size).toBe(n);
    await closing;
    expect(node.store.size).toBe(n);
  });

  it("can be called twice, both calls resolving once the node is closed", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    expect(await call(dealer, { op: "PING" })).toMatchObject({ ok: true });
    const first = node.close();
    const second = node.close();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(node.close()).resolves.toBeUndefined();
  });

  it("closes when idle without waiting out its drain ceiling", async () => {
    // A ceiling far past the test's own timeout: only an idle close that stops by itself (the
    // serve loop wakes every 100 ms to notice) lets this test finish.
    const node = await harness.node(undefined, { drainMs: 10 * 60_000 });
    await node.close();
    expect(node.opsServed).toBe(0);
  });
});
