import { freePortRange } from "@zkv/membership/testing";
import { ErrorCode } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { Router } from "zeromq";
import { ZkvClient } from "../src/index.js";
import { fakeNode, inProcessNode, type Opened } from "./support/in-process.js";

const opened: Opened = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function nodeAndClient() {
  const { port } = await inProcessNode(opened);
  const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 5000 });
  opened.push(client);
  return client;
}

/** Each answer getEach gave: the key's value and its position, by key, and how many per key. */
function recorder() {
  const seen = new Map<string, { value: string | undefined; index: number; times: number }>();
  const onEntry = (key: string, value: string | undefined, index: number) => {
    const before = seen.get(key);
    seen.set(key, { value, index, times: (before?.times ?? 0) + 1 });
  };
  return { seen, onEntry };
}

describe("getEach", () => {
  it("answers every key of any iterable once, with its value or undefined and its position", async () => {
    const client = await nodeAndClient();
    await client.putMany(
      (function* () {
        for (let i = 0; i < 40_000; i += 1) yield [`e-${i}`, `v${i}`] as const;
      })(),
    );
    // Every fourth key was never written; the keys come from a generator, never an array.
    function* keys() {
      for (let i = 0; i < 40_000; i += 1) yield `e-${i % 4 === 3 ? `gone-${i}` : i}`;
    }
    const { seen, onEntry } = recorder();
    let progress = 0;
    await client.getEach(
      keys(),
      onEntry,
      (done) => {
        progress = done;
      },
      4,
    );
    expect(progress).toBe(40_000);
    expect(seen.size).toBe(40_000);
    let i = 0;
    for (const key of keys()) {
      const want = i % 4 === 3 ? undefined : `v${i}`;
      expect(seen.get(key)).toEqual({ value: want, index: i, times: 1 });
      i += 1;
    }
  });

  it("stops taking keys once onEntry throws, rejects with its error, and the client keeps working", async () => {
    const client = await nodeAndClient();
    await client.put("k", "v");
    let taken = 0;
    function* keys() {
      for (let i = 0; i < 1_000_000; i += 1) {
        taken += 1;
        yield i === 0 ? "k" : `missing-${i}`;
      }
    }
    const boom = new Error("caller's bug");
    await expect(
      client.getEach(keys(), () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    // At most the window's keys (16,000) and a message being filled were taken, not a million.
    expect(taken).toBeLessThan(30_000);
    expect(await client.get("k")).toBe("v");
  });

  it("sends nothing more once onEntry threw, not even the messages it was filling for other nodes", async () => {
    // Two fake nodes answering every GET with "v", counting the keys they are asked for.
    const base = await freePortRange(2);
    let asked = 0;
    for (const port of [base, base + 1]) {
      const socket = new Router();
      await socket.bind(`tcp://127.0.0.1:${port}`);
      opened.push(socket);
      void (async () => {
        for await (const [identity, body] of socket) {
          const { id, columns } = JSON.parse(body!.toString()) as { id: number; columns: { keys: string[] } };
          asked += columns.keys.length;
          const reply = { done: columns.keys.length, values: columns.keys.map(() => "v"), id };
          await socket.send([identity!, JSON.stringify(reply)]);
        }
      })().catch(() => {});
    }
    const client = await ZkvClient.connect({ static: { nodes: 2, basePort: base }, timeoutMs: 2000 });
    opened.push(client);
    let taken = 0;
    function* keys() {
      for (let i = 0; i < 1_000_000; i += 1) {
        taken += 1;
        yield `k-${i}`;
      }
    }
    const boom = new Error("caller's bug");
    await expect(
      client.getEach(keys(), () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    // The last key taken was never added; the other node's message in the making never went.
    expect(asked).toBeLessThan(taken - 1);
  });

  it("gives an entry its node sent back to be retried the retry's answer alone, whatever the batch held for it", async () => {
    // A node that answers a BATCH of GETs with TRY_AGAIN for its first and last keys (a null in
    // its values for one, a stale string for the other), and each single GET_ONE with a value.
    const { socket, port } = await fakeNode(opened);
    void (async () => {
      for await (const [identity, body] of socket) {
        const request = JSON.parse(body!.toString()) as {
          id: number;
          op: string;
          key?: string;
          columns?: { keys: string[] };
        };
        const again = { code: ErrorCode.TRY_AGAIN, message: "moving" };
        const keys = request.columns?.keys ?? [];
        // The retries come alone (GET_ONE) or, sent in one turn, batched together.
        const reply =
          request.op !== "BATCH"
            ? { key: request.key, value: `${request.key}, again`, id: request.id }
            : keys.length === 3
              ? {
                  done: 3,
                  values: [null, "second", "stale"],
                  errors: [
                    { at: 0, error: again },
                    { at: 2, error: again },
                  ],
                  id: request.id,
                }
              : { done: keys.length, values: keys.map((key) => `${key}, again`), id: request.id };
        await socket.send([identity!, JSON.stringify(reply)]);
      }
    })().catch(() => {});
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 2000 });
    opened.push(client);
    const { seen, onEntry } = recorder();
    await client.getEach(["a", "b", "c"], onEntry);
    expect(Object.fromEntries(seen)).toEqual({
      a: { value: "a, again", index: 0, times: 1 },
      b: { value: "second", index: 1, times: 1 },
      c: { value: "c, again", index: 2, times: 1 },
    });
  });
});
