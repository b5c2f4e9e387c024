import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { HeldReplies, routingKey } from "../src/node/held-replies.js";

const log = createLogger("silent", {});
const id = (n: number) => Buffer.from([0, n]);
/** A reply's frames: routing id, then `bytes` of JSON. */
const reply = (n: number, bytes: number) => [id(n), "x".repeat(bytes)];

describe("HeldReplies", () => {
  it("gives each client's replies back oldest first, counting what is held", () => {
    const held = new HeldReplies(10_000, log);
    expect(held.clear).toBe(true);
    const a = routingKey(id(1));
    const b = routingKey(id(2));
    const first = reply(1, 100);
    const second = reply(1, 200);
    held.hold(a, first);
    held.hold(b, reply(2, 50));
    held.hold(a, second);
    expect(held.clear).toBe(false);
    expect([...held.holding()]).toEqual([a, b]);
    expect(held.bytes).toBe(2 + 100 + 2 + 50 + 2 + 200);
    expect(held.maxBytes).toBe(304);
    expect(held.oldest(a)).toBe(first);
    held.sent(a);
    expect(held.oldest(a)).toBe(second);
    held.sent(a);
    expect(held.bytes).toBe(52);
    expect(held.oldest(a)).toBeUndefined(); // and a is no longer held
    expect(held.isHolding(a)).toBe(false);
    held.forget(b);
    expect(held.bytes).toBe(0);
    expect(held.clients).toBe(0);
    expect(held.clear).toBe(true);
  });

  it("drops a client past the limit: its replies discarded, its id remembered, the others kept", () => {
    const held = new HeldReplies(1000, log);
    const a = routingKey(id(1));
    const b = routingKey(id(2));
    held.hold(b, reply(2, 500));
    for (let i = 0; i < 3; i++) held.hold(a, reply(1, 300));
    expect(held.bytes).toBe(3 * 302 + 502);
    held.hold(a, reply(1, 300)); // 1208 bytes for a: over the limit
    expect(held.dropped).toBe(1);
    expect(held.isDropped(a)).toBe(true);
    expect(held.isHolding(a)).toBe(false);
    expect(held.isDropped(b)).toBe(false);
    expect(held.bytes).toBe(502);
    expect(held.maxBytes).toBe(906);
    expect(held.clear).toBe(false); // a dropped id still closes the fast path
  });
});
