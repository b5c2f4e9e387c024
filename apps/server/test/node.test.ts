import { decodeReply, ErrorCode, encodeCursor, type Reply, type StatsReply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { call, EMPTY, expectEnvelope, frame, Harness, replyText } from "./helpers.js";

const harness = new Harness();
afterEach(() => harness.cleanup());

describe("ZkvNode with a plain REQ client", () => {
  it("answers the seed's exact requests with the exact documented bytes", async () => {
    const node = await harness.node();
    const req = harness.req(node);

    await req.send(frame('{"op":"PUT","key":"k","value":"v"}'));
    expect(replyText(await req.receive())).toBe('{"ok":true}');

    await req.send(frame('{"op":"GET_ONE","key":"k"}'));
    expect(replyText(await req.receive())).toBe('{"key":"k","value":"v"}');

    await req.send(frame('{"op":"GET_ALL"}'));
    expect(replyText(await req.receive())).toBe('{"collection":[{"key":"k","value":"v"}]}');

    await req.send(frame('{"op":"GET_ONE","key":"nope"}'));
    const missing = JSON.parse(replyText(await req.receive()));
    expect(missing).toEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });

    await req.send(frame('{"op":"DELETE","key":"k"}'));
    expect(replyText(await req.receive())).toBe('{"ok":true,"deleted":true}');
  });

  it("keeps serving a REQ client after it sent garbage", async () => {
    const node = await harness.node();
    const req = harness.req(node);
    await req.send(frame("not json"));
    expect(JSON.parse(replyText(await req.receive()))).toMatchObject({ error: { code: "BAD_JSON" } });
    await req.send(frame('{"op":"PING","id":1}'));
    expect(JSON.parse(replyText(await req.receive()))).toEqual({ ok: true, node: expect.any(String), id: 1 });
  });
});

describe("ZkvNode STATS", () => {
  it("reports its requests served, its uptime and its process's memory", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    await call(dealer, { op: "PING" });
    const stats = await call(dealer, { op: "STATS", id: 1 });
    expect(stats).toMatchObject({ opsServed: 2, id: 1 }); // this STATS included
    const { uptimeSeconds, heapUsedBytes, rssBytes } = stats as StatsReply;
    expect(uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(heapUsedBytes).toBeGreaterThan(0); // measured by the node's probe, not left at 0
    expect(rssBytes).toBeGreaterThan(0);
  });
});

describe("ZkvNode with DEALER clients", () => {
  it("answers 1000 requests in flight on one DEALER, each reply carrying its request's id", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const n = 1000;
    for (let i = 0; i < n; i++) {
      const request =
        i % 2 === 0 ? { op: "PUT", key: `k${i}`, value: `v${i}`, id: i } : { op: "PING", id: `p${i}` };
      await dealer.send([EMPTY, frame(JSON.stringify(request))]);
    }
    const replies = new Map<unknown, Reply>();
    for (let i = 0; i < n; i++) {
      const frames = await dealer.receive();
      expectEnvelope(frames);
      const reply = decodeReply(frames[1]!);
      expect(replies.has(reply.id)).toBe(false);
      replies.set(reply.id, reply);
    }
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) expect(replies.get(i)).toEqual({ ok: true, id: i });
      else
        expect(replies.get(`p${i}`)).toEqual({
          ok: true,
          node: `test-${node.endpoint.split(":")[2]}`,
          id: `p${i}`,
        });
    }
    expect(node.store.size).toBe(n / 2);
    expect(await call(dealer, { op: "GET_ONE", key: "k998", id: "last" })).toEqual({
      key: "k998",
      value: "v998",
      id: "last",
    });
  });

  it("answers a DEALER that sends no empty delimiter with a single-frame reply", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    await dealer.send(frame('{"op":"PUT","key":"a","value":"1","id":"x"}'));
    const put = await dealer.receive();
    expect(put.map(String)).toEqual(['{"ok":true,"id":"x"}']);
    await dealer.send([frame('{"op":"GET_ONE","key":"a"}')]);
    expect((await dealer.receive()).map(String)).toEqual(['{"key":"a","value":"1"}']);
  });

  it("answers wrong frame counts with BAD_FRAMES and keeps serving", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const malformed: Buffer[][] = [
      [EMPTY],
      [EMPTY, frame('{"op":"PING"}'), frame('{"op":"PING"}')],
      [EMPTY, EMPTY],
      [EMPTY, frame("a"), frame("b"), frame("c")],
    ];
    for (const message of malformed) {
      await dealer.send(message);
      const frames = await dealer.receive();
      expectEnvelope(frames);
      const reply = decodeReply(frames[1]!);
      expect(reply).toEqual({ error: { code: ErrorCode.BAD_FRAMES, message: expect.any(String) } });
    }
    expect(await call(dealer, { op: "PUT", key: "still", value: "here" })).toEqual({ ok: true });
    expect(await call(dealer, { op: "GET_ONE", key: "still" })).toEqual({ key: "still", value: "here" });
  });

  it("refuses a GET_ALL cursor it did not issue with INVALID_REQUEST, echoing the id", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const reply = await call(dealer, { op: "GET_ALL", cursor: "garbage", id: 9 });
    expect(reply).toMatchObject({ error: { code: ErrorCode.INVALID_REQUEST, field: "cursor" }, id: 9 });
  });

  it("pages a GET_ALL over the wire with the cursors it hands out", async () => {
    const node = await harness.node();
    const dealer = harness.dealer(node);
    const keys = Array.from({ length: 25 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
    for (const key of [...keys].reverse()) await call(dealer, { op: "PUT", key, value: key });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const reply = await call(dealer, { op: "GET_ALL", limit: 10, ...(cursor ? { cursor } : {}) });
      if (!("collection" in reply)) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
      expect(reply.collection.length).toBeLessThanOrEqual(10);
      seen.push(...reply.collection.map((e) => e.key));
      cursor = reply.cursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(keys);
    // A cursor past the end is valid and yields an empty last page.
    expect(await call(dealer, { op: "GET_ALL", cursor: encodeCursor("zzz") })).toEqual({ collection: [] });
  });
});
