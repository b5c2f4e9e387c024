import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirError, DurableStore, type SyncPolicy } from "../src/store/index.js";
import { LogBuffer } from "../src/store/log-buffer.js";
import type { Versioned } from "../src/store/versions.js";
import { FRAME_START, sealFrame } from "../src/store/write-log-frames.js";

const WRITE_UNTIL_KILLED = fileURLToPath(new URL("./support/write-until-killed.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "zkv-snapshots-test-"));
let dirs = 0;
const nextDir = () => join(root, String(dirs++));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A store that starts a snapshot at nearly every flush and takes it a few entries per turn. */
const openBusy = (dir: string, fsync: SyncPolicy) =>
  DurableStore.open({ dir, fsync, checkpointBytes: 256, snapshotSliceIds: 3 });

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Op =
  | { kind: "put"; key: string; value: string; ttl: boolean }
  | { kind: "delete"; key: string }
  | { kind: "tombstone"; key: string }
  | { kind: "drop"; key: string }
  | { kind: "hint"; key: string; remove: boolean }
  | { kind: "staged"; puts: Array<[string, string]> }
  | { kind: "turn" }
  | { kind: "settle" }
  | { kind: "restart" };

const key = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `k${i}`)) },
  { weight: 1, arbitrary: fc.constantFrom("l".repeat(1200), `${"é".repeat(1100)}x`) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("put"), key, value: fc.string(), ttl: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete"), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("tombstone"), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop"), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hint"), key, remove: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("staged"),
      puts: fc.array(fc.tuple(key, fc.string()), { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: "turn" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "settle" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
);

/**
 * Lets a snapshot under way finish (its fsyncs run off the main thread, where a few turns are not
 * enough), so the writes after it are replayed over it on the reopen; 2 s at most. Without it
 * nearly no snapshot of a short run finished (3 runs in 40), and the reopens loaded none.
 */
async function settle(store: DurableStore): Promise<void> {
  for (let i = 0; i < 2000 && store.diskStats().snapshotting; i++)
    await new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * Closes `store`, opens its dir again and checks that the new store holds exactly what the old
 * one did: every key's copy (tombstones and versions too) and the hints `hints` says are on.
 */
async function reopenChecked(
  store: DurableStore,
  dir: string,
  policy: SyncPolicy,
  hints: ReadonlyMap<string, boolean>,
): Promise<DurableStore> {
  const expected = new Map<string, Versioned | undefined>();
  for (const k of new Set([...store.keys()])) expected.set(k, store.copy(k));
  await store.close();
  const again = await openBusy(dir, policy);
  try {
    expect(new Set(again.keys())).toEqual(new Set(expected.keys()));
    for (const [k, copy] of expected) expect(again.copy(k)).toEqual(copy);
    const held = again.hintLog().load().get("node-1") ?? new Set();
    expect(held).toEqual(new Set([...hints].filter(([, on]) => on).map(([k]) => k)));
  } catch (err) {
    await again.close();
    throw err;
  }
  return again;
}

describe("snapshots taken while writes go on", () => {
  it.each(["batch", "off", "always"] as const)(
    "with %s, a reopened store holds exactly what the writes left, whatever a snapshot caught of them, restart after restart",
    async (policy) => {
      const numRuns = policy === "always" ? 15 : 40;
      let snapshotted = 0; // stores (a run opens one per restart) that finished a snapshot while writing
      await fc.assert(
        // "max": short runs (fast-check's default size) rarely grew the log enough to snapshot.
        fc.asyncProperty(fc.array(op, { maxLength: 120, size: "max" }), async (ops) => {
          const dir = nextDir();
          let store = await openBusy(dir, policy);
          let openedWith = 0; // snapshots an open takes count too: only those after it tell
          const hints = new Map<string, boolean>();
          const later = Date.now() + 3_600_000;
          for (const o of ops) {
            if (o.kind === "put") store.put(o.key, o.value, o.ttl ? later : undefined);
            else if (o.kind === "delete") store.delete(o.key);
            else if (o.kind === "tombstone")
              store.apply(o.key, { value: undefined, version: (store.versionOf(o.key) ?? 0) + 1 });
            else if (o.kind === "drop") store.drop(o.key);
            else if (o.kind === "hint") {
              if (o.remove) store.hintLog().remove("node-1", o.key);
              else store.hintLog().add("node-1", o.key);
              hints.set(o.key, !o.remove);
            } else if (o.kind === "staged") {
              // As a node takes a BATCH of plain PUTs: staged, synced (the reply), then inserted.
              const inserts = store.stagePuts(
                o.puts.map(([k]) => k),
                o.puts.map(([, v]) => v),
              );
              const durable = store.sync();
              inserts();
              await durable;
            } else if (o.kind === "settle") await settle(store);
            else if (o.kind === "restart") {
              if (store.diskStats().snapshots > openedWith) snapshotted++;
              store = await reopenChecked(store, dir, policy, hints);
              openedWith = store.diskStats().snapshots;
            } else {
              await store.sync();
              await turn();
            }
          }
          if (store.diskStats().snapshots > openedWith) snapshotted++;
          await (await reopenChecked(store, dir, policy, hints)).close();
        }),
        { numRuns },
      );
      // Else the property says little: a reopen that loads no snapshot only replays the log.
      expect(snapshotted, "stores that finished a snapshot while writing").toBeGreaterThanOrEqual(
        numRuns / 4,
      );
    },
  );
});

describe("a store's disk stats", () => {
  it("count the log since the last snapshot began, and the snapshots taken, with their size", async () => {
    const dir = nextDir();
    const store = await DurableStore.open({
      dir,
      fsync: "batch",
      checkpointBytes: 4096,
      snapshotSliceIds: 64,
    });
    try {
      expect(store.diskStats()).toEqual({
        logBytes: 0,
        snapshots: 0,
        snapshotBytes: 0,
        lastSnapshotSeconds: 0,
        snapshotting: false,
      });
      // Rounds until two snapshots are done (each waits for its fsyncs), 2,000 rounds at most.
      let rounds = 0;
      while (store.diskStats().snapshots < 2 && rounds < 2000) {
        for (let i = 0; i < 20; i++) store.put(`k${i}`, `${rounds}`.repeat(20));
        store.sync();
        await new Promise((resolve) => setTimeout(resolve, 1));
        rounds++;
      }
      const stats = store.diskStats();
      expect(stats.snapshots).toBeGreaterThanOrEqual(2);
      expect(stats.snapshotBytes).toBeGreaterThan(20 * 20);
      expect(stats.lastSnapshotSeconds).toBeGreaterThan(0);
      expect(stats.logBytes).toBeLessThan(rounds * 20 * 20); // cut short: far from all that was written
    } finally {
      await store.close();
    }
  });
});

/** Runs write-until-killed until it has acked `rounds` rounds, SIGKILLs it; the rounds acked. */
function writeThenKill(dir: string, policy: SyncPolicy, rounds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITE_UNTIL_KILLED, dir, policy]);
    let acked = -1;
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const lines = out.split("\n");
      out = lines.pop()!;
      for (const line of lines) acked = Number(line.split(" ")[1]);
      if (acked >= rounds) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) =>
      signal === "SIGKILL" ? resolve(acked) : reject(new Error(`exited ${code}: ${err}`)),
    );
  });
}

describe("a node killed while it writes and snapshots", () => {
  it.each(["batch", "always", "off"] as const)(
    "with %s, a reopened store holds every acknowledged write, and nothing that was never written",
    async (policy) => {
      for (const rounds of [5, 40, 150]) {
        const dir = nextDir();
        const acked = await writeThenKill(dir, policy, rounds);
        if (rounds === 150) expect(existsSync(join(dir, "snapshot")), "a snapshot was taken").toBe(true);
        const store = await DurableStore.open({ dir, fsync: policy });
        try {
          const held = Array.from({ length: 300 }, (_, i) => store.get(`k${i}`));
          const hinted = store.hintLog().load().get("node-1") ?? new Set();
          // The child may have gone on past the round it acknowledged last before the kill
          // landed: what comes back must be the state after some round from that one on, whole.
          const state: Array<string | undefined> = Array.from({ length: 300 }, () => undefined);
          let match: number | undefined;
          for (let round = 0; round <= acked + 5000 && match === undefined; round++) {
            for (let i = 0; i < 40; i++) state[(i * 7 + round * 37) % 300] = String(round);
            state[(round * 11) % 300] = undefined;
            if (round >= acked && hinted.size === round + 1 && held.every((v, i) => v === state[i]))
              match = round;
          }
          expect(match, `the state after a round from ${acked} on`).toBeDefined();
        } finally {
          await store.close();
        }
      }
    },
    60_000,
  );
});

describe("a key too long for the data table, held in a snapshot's slab run", () => {
  // A removal in the log names such a key only by its SHA-256 (the `long` table's row), while a
  // slab run holds the key itself: the open must know the one from the other, or a key deleted
  // after a snapshot comes back on the next restart.
  it.each(["drop", "delete"] as const)("stays gone after a %s and two restarts", async (removal) => {
    const dir = nextDir();
    const long = ["l".repeat(1200), `${"é".repeat(1100)}x`];
    const store = await DurableStore.open({ dir, fsync: "batch" });
    for (const k of long) store.put(k, "v");
    store.put("k", "v");
    await store.close();
    const again = await DurableStore.open({ dir, fsync: "batch" }); // the log grew: a snapshot
    expect(existsSync(join(dir, "snapshot")), "a snapshot was taken").toBe(true);
    for (const k of long) again[removal](k);
    await again.close();
    const third = await DurableStore.open({ dir, fsync: "batch" });
    try {
      expect([...third.keys()]).toEqual(["k"]);
    } finally {
      await third.close();
    }
  });
});

describe("a snapshot of format 1 (before slab runs)", () => {
  it("still opens, with its entries, versions and expiries", async () => {
    const dir = nextDir();
    mkdirSync(dir, { recursive: true });
    // As format 1 was written: MAGIC, the flush number covered, frames of the log's own writes,
    // then an empty frame.
    const header = Buffer.alloc(16);
    header.write("ZKVSNAP\x01", "latin1");
    header.writeDoubleLE(0, 8);
    const buffer = new LogBuffer();
    buffer.appendValue("k1", "v1", 1_700_000_000_000_001, undefined);
    buffer.appendValue("ké", "v2", 1_700_000_000_000_002, 4_000_000_000_000);
    const frame = Buffer.from(buffer.openFrame()!);
    sealFrame(frame, 1, 0);
    const end = Buffer.alloc(FRAME_START);
    sealFrame(end, 2, 0);
    writeFileSync(join(dir, "snapshot"), Buffer.concat([header, frame, end]));
    const store = await DurableStore.open({ dir, fsync: "batch" });
    expect([store.entry("k1"), store.entry("ké")]).toEqual([
      { value: "v1", version: 1_700_000_000_000_001 },
      { value: "v2", version: 1_700_000_000_000_002, expiresAt: 4_000_000_000_000 },
    ]);
    store.put("k3", "v3");
    await store.close();
    const again = await DurableStore.open({ dir, fsync: "batch" }); // the log grew: a snapshot, format 2
    expect([again.size, again.get("k1"), again.get("k3")]).toEqual([3, "v1", "v3"]);
    expect(readFileSync(join(dir, "snapshot")).subarray(0, 8).toString("latin1")).toBe("ZKVSNAP\x02");
    await again.close();
  });
});

describe("a damaged snapshot", () => {
  it("is refused with DATA_DIR_UNUSABLE, not served as an empty store", async () => {
    const dir = nextDir();
    const store = await DurableStore.open({ dir, fsync: "batch" });
    for (let i = 0; i < 100; i++) store.put(`k${i}`, `v${i}`);
    await store.close();
    await (await DurableStore.open({ dir, fsync: "batch" })).close(); // snapshots it all
    const path = join(dir, "snapshot");
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1]! ^= 0xff;
    writeFileSync(path, bytes);
    const failure = await DurableStore.open({ dir, fsync: "batch" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DataDirError);
    expect((failure as DataDirError).code).toBe("DATA_DIR_UNUSABLE");
    expect((failure as Error).message).toMatch(/snapshot .* is damaged/);
  });

  it("cut short is refused too, and an unfinished one left by a crash is ignored", async () => {
    const dir = nextDir();
    const store = await DurableStore.open({ dir, fsync: "batch" });
    store.put("k", "v");
    await store.close();
    await (await DurableStore.open({ dir, fsync: "batch" })).close();
    writeFileSync(join(dir, "snapshot.writing"), "half a snapshot");
    const again = await DurableStore.open({ dir, fsync: "batch" });
    expect(again.get("k")).toBe("v");
    await again.close();
    const path = join(dir, "snapshot");
    writeFileSync(path, readFileSync(path).subarray(0, 40));
    const failure = await DurableStore.open({ dir, fsync: "batch" }).catch((e: unknown) => e);
    expect((failure as DataDirError).code).toBe("DATA_DIR_UNUSABLE");
  });
});
