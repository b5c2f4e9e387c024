import { createPlacement } from "@zkv/hashring";
import { DEFAULT_LIMITS, decodeReply, type Reply } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterView } from "../src/cluster/ownership.js";
import { createLogger } from "../src/logger.js";
import { NodeMetrics } from "../src/node/metrics.js";
import { answer } from "../src/requests/answer.js";
import type { HandlerContext } from "../src/requests/handler.js";
import { MemoryStore, type Store } from "../src/store/index.js";
import type { Versioned } from "../src/store/versions.js";
import { EMPTY, expectEnvelope, frame, Harness } from "./helpers.js";

/**
 * A MemoryStore whose writes become "durable" only when the test says so: like DurableStore,
 * every write since the last commit joins one pending commit, which the test releases by hand.
 * That makes reply order and group commit observable without a disk.
 */
class ManualSyncStore implements Store {
  readonly #mem = new MemoryStore();
  readonly commits: (() => void)[] = [];
  /** When set, every commit fails with this error (a full disk). */
  failure: Error | undefined;
  #dirty = false;
  #pending: Promise<void> | undefined;

  get = (key: string) => this.#mem.get(key);
  entry = (key: string) => this.#mem.entry(key);
  now = () => this.#mem.now();
  clock = this.#mem.clock;
  reclaim = (max: number, keep: boolean) => this.#mem.reclaim(max, keep);
  copy = (key: string) => this.#mem.copy(key);
  versionOf = (key: string) => this.#mem.versionOf(key);
  tombstoneKeys = () => this.#mem.tombstoneKeys();
  keys = () => this.#mem.keys();
  drop(key: string): void {
    this.#dirty = true;
    this.#mem.drop(key);
  }
  apply(key: string, copy: Versioned): boolean {
    this.#dirty = true;
    return this.#mem.apply(key, copy);
  }
  scan = (after: string | undefined) => this.#mem.scan(after);
  close = () => this.#mem.close();
  get size() {
    return this.#mem.size;
  }
  get bytes() {
    return this.#mem.bytes;
  }
  put(key: string, value: string, expiresAt?: number, version?: number): number {
    this.#dirty = true;
    return this.#mem.put(key, value, expiresAt, version);
  }
  delete(key: string): boolean {
    this.#dirty = true;
    return this.#mem.delete(key);
  }
  sync(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure);
    if (this.#dirty) {
      this.#dirty = false;
      this.#pending = new Promise((resolve) => this.commits.push(resolve));
    }
    return this.#pending;
  }
}

const harness = new Harness();
afterEach(() => harness.cleanup());

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("replies that wait for the disk", () => {
  it("leave in request order, reads behind a waiting write wait too, and the node keeps receiving", async () => {
    const store = new ManualSyncStore();
    const node = await harness.node(undefined, { store });
    const dealer = harness.dealer(node);
    // No ids: this DEALER matches replies by position only.
    const requests = [
      { op: "PUT", key: "a", value: "1" },
      { op: "GET_ONE", key: "a" },
      { op: "PUT", key: "b", value: "2" },
      { op: "PING" },
    ];
    for (const r of requests) await dealer.send([EMPTY, frame(JSON.stringify(r))]);
    // All four were received and applied while the first write's commit is still pending.
    await until(() => store.get("b") === "2", "the second PUT to be applied");
    expect(store.commits.length).toBe(2);
    const got: Reply[] = [];
    const reader = (async () => {
      for (let i = 0; i < requests.length; i++) {
        const frames = await dealer.receive();
        expectEnvelope(frames);
        got.push(decodeReply(frames[1]!));
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]); // nothing leaves before the first write is durable
    store.commits[0]!();
    await until(() => got.length === 2, "the first PUT and the GET behind it");
    expect(got).toEqual([{ ok: true }, { key: "a", value: "1" }]);
    store.commits[1]!();
    await reader;
    expect(got.slice(2)).toEqual([{ ok: true }, { ok: true, node: expect.any(String) }]);
  });

  it("to requests with ids leave when ready: one waiting write holds back no other reply", async () => {
    const store = new ManualSyncStore();
    const node = await harness.node(undefined, { store });
    const dealer = harness.dealer(node);
    await dealer.send([EMPTY, frame(JSON.stringify({ op: "PUT", key: "a", value: "1", id: 1 }))]);
    await dealer.send([EMPTY, frame(JSON.stringify({ op: "PING", id: 2 }))]);
    const first = await dealer.receive();
    expect(decodeReply(first[1]!)).toMatchObject({ ok: true, id: 2 }); // the PING overtook the PUT
    store.commits[0]!();
    expect(decodeReply((await dealer.receive())[1]!)).toEqual({ ok: true, id: 1 });
  });

  it("are sent before close() finishes", async () => {
    const store = new ManualSyncStore();
    const node = await harness.node(undefined, { store });
    const dealer = harness.dealer(node);
    await dealer.send([EMPTY, frame('{"op":"PUT","key":"k","value":"v","id":7}')]);
    await until(() => store.commits.length === 1, "the PUT to be applied");
    const closed = node.close();
    setTimeout(() => store.commits[0]!(), 200);
    const frames = await dealer.receive();
    expect(decodeReply(frames[1]!)).toEqual({ ok: true, id: 7 });
    await closed;
  });

  it("become INTERNAL errors, with the request's id, when the commit fails", async () => {
    const store = new ManualSyncStore();
    store.failure = new Error("disk full");
    const node = await harness.node(undefined, { store });
    const dealer = harness.dealer(node);
    await dealer.send([EMPTY, frame('{"op":"PUT","key":"k","value":"v","id":"w"}')]);
    await dealer.send([EMPTY, frame('{"op":"GET_ONE","key":"k","id":"r"}')]);
    // With ids, replies may come in either order: match them by id.
    const replies = [decodeReply((await dealer.receive())[1]!), decodeReply((await dealer.receive())[1]!)];
    const byId = new Map(replies.map((r) => [(r as { id?: unknown }).id, r]));
    expect(byId.get("w")).toMatchObject({ error: { code: "INTERNAL" }, id: "w" });
    expect(byId.get("r")).toEqual({ key: "k", value: "v", id: "r" });
  });
});

describe("rebalancing writes", () => {
  it("IMPORT and MIGRATE_COMMIT are acknowledged only once durable, so a move deletes only what is safe", async () => {
    const ring = (ids: string[]) =>
      createPlacement(
        "ring",
        ids.map((id) => ({ id })),
      );
    const run = "run-1";
    // "a" is the new owner importing; "b" the old owner committing (deleting) after the import.
    const contexts = ["a", "b"].map((nodeId) => {
      const store = new ManualSyncStore();
      const cluster = new ClusterView(nodeId);
      cluster.beginMigration(run, 1, ring(["b"]), ring(["a"]));
      const ctx: HandlerContext = { nodeId, store, limits: DEFAULT_LIMITS, cluster };
      return { store, ctx, metrics: new NodeMetrics(store, nodeId, false) };
    });
    const [a, b] = contexts as [(typeof contexts)[0], (typeof contexts)[0]];
    const log = createLogger("silent", {});
    const message = (body: object) => [Buffer.from("peer"), EMPTY, frame(JSON.stringify(body))];

    const { reply: imported } = answer(
      message({ op: "IMPORT", run, entries: [{ key: "k", value: "v" }] }),
      a.ctx,
      a.metrics,
      log,
    );
    expect(imported).toBeInstanceOf(Promise);
    expect(a.store.commits.length).toBe(1); // applied, waiting for its commit
    a.store.commits[0]!();
    expect(decodeReply(Buffer.from((await imported)[2]!))).toEqual({ ok: true, count: 1 });

    b.store.put("k", "v");
    b.store.sync(); // that PUT's own commit, already durable
    b.ctx.cluster!.migration!.fetch(b.store, ["k"], 1 << 20);
    const { reply: committed } = answer(
      message({ op: "MIGRATE_COMMIT", run, keys: ["k"] }),
      b.ctx,
      b.metrics,
      log,
    );
    expect(b.store.get("k")).toBeUndefined();
    expect(committed).toBeInstanceOf(Promise);
    b.store.commits[1]!();
    expect(decodeReply(Buffer.from((await committed)[2]!))).toEqual({ ok: true, count: 1 });
  });
});
