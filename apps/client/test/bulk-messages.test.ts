import { type BatchColumns, columnsReplyOf, decodeBatchColumns, type Reply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { fakeNode, type Opened } from "./support/in-process.js";

const opened: Opened = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

interface Op {
  readonly op: string;
  readonly key: string;
  readonly version?: number;
  readonly withVersion?: boolean;
}

/** What a node would answer one op: a PUT applied (a restore's too), a GET's value `v-<key>` at version 7. */
function answer(op: Op): Reply {
  if (op.op === "PUT")
    return (op.version === undefined ? { ok: true } : { ok: true, applied: true }) as Reply;
  return (
    op.withVersion ? { key: op.key, value: `v-${op.key}`, version: 7 } : { key: op.key, value: `v-${op.key}` }
  ) as Reply;
}

/**
 * A node that never answers the first BATCH it gets (lost on the way, or its node stalled) and
 * answers everything after it; `asked` counts how often each key was asked for, in any message.
 */
async function nodeLosingFirstBatch() {
  const { socket, port } = await fakeNode(opened);
  const asked = new Map<string, number>();
  let batches = 0;
  void (async () => {
    for await (const [identity, body] of socket) {
      const request = JSON.parse(body!.toString()) as Op & { id: number; columns?: BatchColumns };
      const ops = request.columns ? (decodeBatchColumns(request.columns) as Op[]) : [request];
      for (const op of ops) asked.set(op.key, (asked.get(op.key) ?? 0) + 1);
      if (request.columns && batches++ === 0) continue;
      const reply = request.columns ? columnsReplyOf(request.columns.ops, ops.map(answer)) : answer(request);
      await socket.send([identity!, JSON.stringify({ ...reply, id: request.id })]);
    }
  })().catch(() => {});
  const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 300 });
  opened.push(client);
  return { client, asked };
}

const keys = ["a", "b", "c"];

describe("a bulk message that is never answered", () => {
  it("putMany: each of its entries is sent again, once, and the call resolves", async () => {
    const { client, asked } = await nodeLosingFirstBatch();
    await client.putMany(keys.map((k) => [k, "1"] as const));
    expect(Object.fromEntries(asked)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it("getEach: each key gets its value once, from the entry sent again", async () => {
    const { client, asked } = await nodeLosingFirstBatch();
    const seen: Array<[string, string | undefined, number]> = [];
    await client.getEach(keys, (key, value, index) => seen.push([key, value, index]));
    expect(seen.sort()).toEqual([
      ["a", "v-a", 0],
      ["b", "v-b", 1],
      ["c", "v-c", 2],
    ]);
    expect(Object.fromEntries(asked)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it("getManyWithVersion and restoreMany (ops with options): the same, each answered once", async () => {
    const reader = await nodeLosingFirstBatch();
    expect(await reader.client.getManyWithVersion(keys)).toEqual(
      keys.map((k) => ({ value: `v-${k}`, version: 7 })),
    );
    expect(Object.fromEntries(reader.asked)).toEqual({ a: 2, b: 2, c: 2 });
    const restorer = await nodeLosingFirstBatch();
    const progress: number[] = [];
    const counts = await restorer.client.restoreMany(
      keys.map((key) => ({ key, value: "1", version: 5 })),
      (done) => progress.push(done),
    );
    expect(counts).toEqual({ applied: 3, kept: 0 });
    expect(Object.fromEntries(restorer.asked)).toEqual({ a: 2, b: 2, c: 2 });
    expect(progress).toEqual([3]);
  });
});
