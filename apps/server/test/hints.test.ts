import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Hints, type HintsOptions } from "../src/replication/hints.js";
import type { PeerBatcher } from "../src/replication/peer-batcher.js";
import { DurableStore } from "../src/store/index.js";
import type { Versioned } from "../src/store/versions.js";

/** A batcher that records what it sends as `key@replica`, and may run `during` before it resolves. */
function recordingBatcher(sent: string[], during?: (key: string) => void): PeerBatcher {
  return {
    replicate: async (replica: string, key: string) => {
      during?.(key);
      sent.push(`${key}@${replica}`);
    },
  } as unknown as PeerBatcher;
}

const open: Hints[] = [];
function hints(options: Partial<HintsOptions> & Pick<HintsOptions, "batcher">): Hints {
  const h = new Hints({
    store: { copy: () => ({ value: "v", version: 1 }) },
    peers: { isUp: () => true },
    replicasOf: () => ["node-0", "node-1", "node-2"],
    ...options,
  });
  open.push(h);
  return h;
}

describe("hinted handoff", () => {
  afterEach(() => {
    for (const h of open.splice(0)) h.close();
  });

  it("drops, without sending, a hint for a node that is no longer one of the key's replicas", async () => {
    const sent: string[] = [];
    // After a rebalance trimmed "moved" from node-0, its hint must not put it back there.
    const replicas: Record<string, string[]> = { moved: ["node-1", "node-2"], kept: ["node-0", "node-1"] };
    const h = hints({ batcher: recordingBatcher(sent), replicasOf: (key) => replicas[key] ?? [] });
    h.add("node-0", "moved");
    h.add("node-0", "kept");
    await h.replay();
    expect(sent).toEqual(["kept@node-0"]);
    expect(h.has("moved")).toBe(false);
    expect(h.pending()).toEqual({});
  });

  it("replays nothing before the placement is known, and drops the hints of a node that left the cluster", async () => {
    const sent: string[] = [];
    let known = false;
    const h = hints({
      batcher: recordingBatcher(sent),
      placementKnown: () => known,
      isMember: (id) => id !== "node-9",
    });
    h.add("node-1", "k");
    h.add("node-9", "k");
    await h.replay();
    expect(sent).toEqual([]);
    expect(h.pending()).toEqual({ "node-1": 1, "node-9": 1 });
    known = true;
    await h.replay();
    expect(sent).toEqual(["k@node-1"]);
    expect(h.pending()).toEqual({});
  });

  it("keeps a hint when the key was written again while its copy was on the way", async () => {
    const sent: string[] = [];
    const copies = new Map<string, Versioned>([["k", { value: "a", version: 1 }]]);
    const h = hints({
      store: { copy: (key) => copies.get(key) },
      batcher: recordingBatcher(sent, (key) => copies.set(key, { value: "b", version: 2 })),
    });
    h.add("node-1", "k");
    await h.replay();
    expect(h.pending()).toEqual({ "node-1": 1 });
    await h.replay(); // the newer copy goes too, and then the hint is done
    expect(h.pending()).toEqual({});
    expect(sent).toEqual(["k@node-1", "k@node-1"]);
  });

  it("keeps at most maxPerReplica hints per replica, counts the misses past it, and says so once", () => {
    const capped: string[] = [];
    const h = hints({
      batcher: recordingBatcher([]),
      peers: { isUp: () => false },
      maxPerReplica: 2,
      onCapped: (replica) => capped.push(replica),
    });
    for (const key of ["a", "b", "c", "d", "a"]) h.add("node-1", key);
    h.add("node-2", "a");
    expect(h.pending()).toEqual({ "node-1": 2, "node-2": 1 });
    expect(h.dropped).toBe(2);
    expect(capped).toEqual(["node-1"]);
  });
});

describe("durable hints (--data-dir)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const h of open.splice(0)) h.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each(["always", "batch"] as const)(
    "outlive the store's process (--fsync %s): reloaded on open, delivered, and gone for good once delivered",
    async (fsync) => {
      const dir = mkdtempSync(join(tmpdir(), "zkv-hints-"));
      dirs.push(dir);
      const long = "x".repeat(3000); // past LMDB's key size once encoded
      const odd = "lone \ud800 surrogate";
      const first = await DurableStore.open({ dir, fsync });
      const before = hints({
        batcher: recordingBatcher([]),
        peers: { isUp: () => false },
        log: first.hintLog(),
      });
      for (const key of ["k", long, odd]) before.add("node-1", key);
      before.add("node-2", "k");
      await first.sync();
      before.close();
      await first.close();

      const second = await DurableStore.open({ dir, fsync });
      const sent: string[] = [];
      const after = hints({ batcher: recordingBatcher(sent), log: second.hintLog() });
      expect(after.pending()).toEqual({ "node-1": 3, "node-2": 1 });
      await after.replay();
      expect(sent.sort()).toEqual(["k@node-1", "k@node-2", `${long}@node-1`, `${odd}@node-1`].sort());
      expect(after.pending()).toEqual({});
      await second.sync();
      after.close();
      await second.close();

      const third = await DurableStore.open({ dir, fsync });
      expect(third.hintLog().load().size).toBe(0);
      await third.close();
    },
  );
});
