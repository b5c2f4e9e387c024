import { DEFAULT_LIMITS, decodeReply, ErrorCode, type Reply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { call, EMPTY, expectEnvelope, frame, Harness } from "./helpers.js";

const harness = new Harness();
afterEach(() => harness.cleanup());

function errorCode(reply: Reply): string | undefined {
  return "error" in reply ? reply.error.code : undefined;
}

describe("ZkvNode message size limits", () => {
  it("answers a message over maxMessageBytes (but under the socket cap) with TOO_LARGE", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const value = "x".repeat(DEFAULT_LIMITS.maxMessageBytes + 1000);
    const reply = await call(dealer, { op: "PUT", key: "big", value, id: "big" });
    expect(errorCode(reply)).toBe(ErrorCode.TOO_LARGE);
    // The id cannot be echoed: the message was refused before it was parsed.
    expect(reply).not.toHaveProperty("id");
    expect(node.store.get("big")).toBeUndefined();
    expect(await call(dealer, { op: "PING", id: 1 })).toMatchObject({ ok: true, id: 1 });
  });

  it("answers a value over maxValueBytes in a message under maxMessageBytes with TOO_LARGE on field value", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const value = "x".repeat(DEFAULT_LIMITS.maxValueBytes + 1);
    const reply = await call(dealer, { op: "PUT", key: "v", value, id: 2 });
    expect(reply).toMatchObject({ error: { code: ErrorCode.TOO_LARGE, field: "value" }, id: 2 });
    expect(node.store.size).toBe(0);
  });

  it("stores and returns a value of exactly maxValueBytes", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const value = "é".repeat(DEFAULT_LIMITS.maxValueBytes / 2);
    expect(await call(dealer, { op: "PUT", key: "max", value })).toEqual({ ok: true });
    expect(await call(dealer, { op: "GET_ONE", key: "max" })).toEqual({ key: "max", value });
  });

  it("keeps error replies small when the message quotes a huge client input (unknown op)", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    // 1 MiB of backslashes: 2 MiB of JSON, which quoted in an error message would escape to 4 MiB+.
    const op = "\\".repeat(1024 * 1024);
    await dealer.send([EMPTY, frame(JSON.stringify({ op, id: "huge-op" }))]);
    const frames = await dealer.receive();
    expectEnvelope(frames);
    expect(frames[1]!.length).toBeLessThan(2048);
    const reply = decodeReply(frames[1]!, undefined, DEFAULT_LIMITS);
    expect(reply).toMatchObject({ error: { code: ErrorCode.UNKNOWN_OP, field: "op" }, id: "huge-op" });
  });

  it("survives a message beyond the socket cap: the sender is disconnected, everyone else is served", async () => {
    const node = await harness.node();
    const bystander = harness.dealer(node);
    expect(await call(bystander, { op: "PUT", key: "k", value: "v" })).toEqual({ ok: true });

    const abuser = harness.dealer(node);
    const events = abuser.events;
    await abuser.send([EMPTY, Buffer.alloc(DEFAULT_LIMITS.maxMessageBytes * 2 + 1, 0x20)]);
    // Wait for the node to drop the connection rather than sleeping.
    for (;;) {
      const event = await events.receive();
      if (event.type === "disconnect") break;
    }

    expect(await call(bystander, { op: "GET_ONE", key: "k" })).toEqual({ key: "k", value: "v" });
    // The abuser's socket reconnects and is served again; its oversized message got no reply.
    expect(await call(abuser, { op: "PING", id: "after" })).toMatchObject({ ok: true, id: "after" });
  });
});
