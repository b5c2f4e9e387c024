import { ErrorCode, type StatsReply, type ZkvError } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { fakeNode, inProcessNode, type Opened } from "./support/in-process.js";

const opened: Opened = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** A real node in this process and a client in static mode pointed at it. */
async function nodeAndClient(timeoutMs = 5000) {
  const { node, port } = await inProcessNode(opened);
  const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs });
  opened.push(client);
  return { node, client };
}

const messagesServed = async (client: ZkvClient) =>
  ((await client.request("node-0", { op: "STATS" })) as StatsReply).opsServed;

describe("the auto-batching client", () => {
  it("coalesces 5000 concurrent writes into a handful of BATCH messages", async () => {
    const { client } = await nodeAndClient();
    const before = await messagesServed(client);
    await Promise.all(Array.from({ length: 5000 }, (_, i) => client.put(`k${i}`, `v${i}`)));
    const messages = (await messagesServed(client)) - before - 1; // minus this STATS
    expect(messages).toBeLessThanOrEqual(20);
    expect(await client.getMany(["k0", "k2500", "k4999", "nope"])).toEqual([
      "v0",
      "v2500",
      "v4999",
      undefined,
    ]);
  });

  it("sends the callers woken by one reply together: one message per round, not two", async () => {
    const { client } = await nodeAndClient();
    const before = await messagesServed(client);
    // 20 callers, each writing 10 keys one after the other (like redis-benchmark -c 20).
    await Promise.all(
      Array.from({ length: 20 }, async (_, caller) => {
        for (let i = 0; i < 10; i++) await client.put(`c${caller}-${i}`, "v");
      }),
    );
    const messages = (await messagesServed(client)) - before - 1;
    expect(messages).toBeLessThanOrEqual(12);
    expect(await client.get("c19-9")).toBe("v");
  });

  it("keeps writes to one key in the order they were issued", async () => {
    const { client } = await nodeAndClient();
    const writes = Array.from({ length: 2000 }, (_, i) => client.put(`hot-${i % 3}`, String(i)));
    await Promise.all(writes);
    expect(await client.getMany(["hot-0", "hot-1", "hot-2"])).toEqual(["1998", "1999", "1997"]);
  });

  it("fails only the bad operation of a batch; the others apply", async () => {
    const { client } = await nodeAndClient();
    const results = await Promise.allSettled([
      client.put("good-1", "a"),
      client.put("x".repeat(5000), "too long a key"),
      client.get("never-written"),
      client.delete("never-written"),
      client.put("good-2", "b"),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect(((results[1] as PromiseRejectedResult).reason as ZkvError).code).toBe(ErrorCode.TOO_LARGE);
    expect((results[2] as PromiseFulfilledResult<unknown>).value).toBeUndefined();
    expect((results[3] as PromiseFulfilledResult<unknown>).value).toBe(false);
    expect(await client.getMany(["good-1", "good-2"])).toEqual(["a", "b"]);
  });

  it("settles a batch of PUTs that all succeeded from its {done:n}, and fails only the bad PUT of one", async () => {
    const { client } = await nodeAndClient();
    const puts = Array.from({ length: 50 }, (_, i) => client.put(`all-${i}`, `v${i}`));
    expect(await Promise.all(puts)).toEqual(Array.from({ length: 50 }, () => ({ node: "node-0" })));
    const results = await Promise.allSettled([
      client.put("p-1", "a"),
      client.put("x".repeat(5000), "too long a key"),
      client.put("p-2", "b"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(((results[1] as PromiseRejectedResult).reason as ZkvError).code).toBe(ErrorCode.TOO_LARGE);
    expect(await client.getMany(["all-0", "all-49", "p-1", "p-2"])).toEqual(["v0", "v49", "a", "b"]);
  });

  it("takes a {done} that does not count every PUT of its batch as a failure of each", async () => {
    const { socket: short, port } = await fakeNode(opened);
    void (async () => {
      for await (const [identity, body] of short) {
        const { id, columns } = JSON.parse(body!.toString()) as { id: number; columns: { ops: string } };
        await short.send([identity!, JSON.stringify({ done: columns.ops.length - 1, id })]);
      }
    })().catch(() => {});
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 2000 });
    opened.push(client);
    const results = await Promise.allSettled([
      client.put("a", "1"),
      client.put("b", "2"),
      client.put("c", "3"),
    ]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as ZkvError).code : "ok"))).toEqual([
      ErrorCode.INTERNAL,
      ErrorCode.INTERNAL,
      ErrorCode.INTERNAL,
    ]);
  });

  it("times out every operation of a batch the node never answers", async () => {
    const { port } = await fakeNode(opened); // never answers
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 300 });
    opened.push(client);
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => client.put(`t${i}`, "v")));
    expect(
      results.every((r) => r.status === "rejected" && (r.reason as ZkvError).code === ErrorCode.TIMEOUT),
    ).toBe(true);
  });

  it("streams 50,000 entries through putMany with a bounded window of writes outstanding", async () => {
    const { client } = await nodeAndClient();
    let progress = 0;
    function* entries() {
      for (let i = 0; i < 50_000; i++) yield [`bulk-${i}`, `v${i}`] as const;
    }
    await client.putMany(
      entries(),
      (done) => {
        progress = done;
      },
      5000,
    );
    expect(progress).toBe(50_000);
    expect(((await client.request("node-0", { op: "STATS" })) as StatsReply).keys).toBe(50_000);
  });

  it("sends putMany's small entries 4000 to a message, and large ones ~1 MiB at a time", async () => {
    const { client } = await nodeAndClient();
    let before = await messagesServed(client);
    await client.putMany(Array.from({ length: 20_000 }, (_, i) => [`small-${i}`, `v${i}`] as const));
    expect((await messagesServed(client)) - before - 1).toBe(5); // minus this STATS
    // 700k units each: two to a message (1.4 MiB), never all eight in one that the node refuses
    // as TOO_LARGE (after which each entry would have gone again on its own: 9 messages).
    const large = Array.from({ length: 8 }, (_, i) => [`large-${i}`, String(i).repeat(700_000)] as const);
    before = await messagesServed(client);
    await client.putMany(large);
    expect((await messagesServed(client)) - before - 1).toBe(4);
    expect(await client.getMany(large.map(([key]) => key))).toEqual(large.map(([, value]) => value));
  });

  it("sizes getMany's messages by the values read so far", async () => {
    const { client } = await nodeAndClient();
    const keys = Array.from({ length: 40_000 }, (_, i) => `g-${i}`);
    await client.putMany(keys.map((key, i) => [key, `v${i}`] as const));
    const before = await messagesServed(client);
    const values = await client.getMany(keys, 4);
    // The messages made before any reply hold ~1000 keys each (a value might weigh 1 KiB); the
    // rest, once values are known to be small, 4000 each: 13 or 14 in all, not 40.
    expect((await messagesServed(client)) - before - 1).toBeLessThanOrEqual(14);
    expect(values).toEqual(keys.map((_, i) => `v${i}`));
  });

  it("reads getMany's values of any text back as written, whether their reply has escapes or not", async () => {
    const { client } = await nodeAndClient();
    const plain = ["", "v", "é😀ж", " {],n ", "x".repeat(300)];
    const escaped = ['a"b', "back\\slash", "line\nbreak", "\u0001", "tab\there"];
    const entries = [...plain, ...escaped].map((value, i) => [`esc-${i}`, value] as const);
    await client.putMany(entries);
    // Each reply alone: the plain ones are read by slicing the reply's text, the escaped ones by JSON.parse.
    for (const group of [plain, escaped, [...plain, ...escaped]]) {
      const keys = group.map((v) => `esc-${[...plain, ...escaped].indexOf(v)}`);
      expect(await client.getMany([...keys, "esc-missing"])).toEqual([...group, undefined]);
    }
  });

  it("falls back to one object per op for a node that predates columns, and rejects malformed results", async () => {
    // An older node: it requires `ops` (refusing the whole BATCH, so nothing applied), and this
    // one also answers with malformed results.
    const { socket: old, port } = await fakeNode(opened);
    const seen: string[] = [];
    void (async () => {
      for await (const [identity, body] of old) {
        const request = JSON.parse(body!.toString()) as { id: number; op: string; ops?: unknown[] };
        seen.push(request.op === "BATCH" ? (request.ops ? "ops" : "columns") : request.op);
        const reply =
          request.op !== "BATCH"
            ? { ok: true, id: request.id }
            : request.ops
              ? { results: [7, null, { ok: true }], id: request.id }
              : { error: { code: "INVALID_REQUEST", message: "no ops", field: "ops" }, id: request.id };
        await old.send([identity!, JSON.stringify(reply)]);
      }
    })().catch(() => {});
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 2000 });
    opened.push(client);
    // Calls made in one turn go out as one BATCH; each gets its own element's result.
    const settle = () =>
      Promise.allSettled([client.put("a", "1"), client.put("b", "2"), client.put("c", "3")]).then((results) =>
        results.map((r) => (r.status === "rejected" ? (r.reason as ZkvError).code : "ok")),
      );
    expect(await settle()).toEqual([ErrorCode.INTERNAL, ErrorCode.INTERNAL, "ok"]);
    expect(await settle()).toEqual([ErrorCode.INTERNAL, ErrorCode.INTERNAL, "ok"]);
    // Columns once, then `ops` for good.
    expect(seen).toEqual(["columns", "ops", "ops"]);
  });

  it("takes {ok:true} as a PUT's reply, and as no other op's", async () => {
    // Every request is answered {"ok":true,"id":n}: right for a PUT, not for a DELETE (no
    // `deleted`) or a GET_ONE; the fast path for a PUT's reply must not take those.
    const { socket: yes, port } = await fakeNode(opened);
    void (async () => {
      for await (const [identity, body] of yes) {
        const { id } = JSON.parse(body!.toString()) as { id: number };
        await yes.send([identity!, `{"ok":true,"id":${id}}`]);
      }
    })().catch(() => {});
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 2000 });
    opened.push(client);
    await expect(client.put("a", "1")).resolves.toEqual({ node: "node-0" });
    await expect(client.delete("a")).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(client.get("a")).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });

  it("rejects, never crashes on, a columns reply that does not fit its BATCH", async () => {
    const { socket: liar, port } = await fakeNode(opened);
    void (async () => {
      for await (const [identity, body] of liar) {
        const { id, op } = JSON.parse(body!.toString()) as { id: number; op: string };
        const reply =
          op === "BATCH" ? { done: 1, values: [7], errors: [{ at: 99 }], id } : { key: "k", value: "v", id };
        await liar.send([identity!, JSON.stringify(reply)]);
      }
    })().catch(() => {});
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 2000 });
    opened.push(client);
    const results = await Promise.allSettled([client.put("a", "1"), client.get("b")]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as ZkvError).code : "ok"))).toEqual([
      ErrorCode.INTERNAL,
      ErrorCode.INTERNAL,
    ]);
    await expect(client.putMany([["c", "3"]])).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
    await expect(client.getMany(["c", "d"])).rejects.toMatchObject({ code: ErrorCode.INTERNAL });
  });
});
