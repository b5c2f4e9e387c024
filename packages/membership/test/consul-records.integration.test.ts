import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClusterSettings,
  ConsulLock,
  initialPlacement,
  ProgressPublisher,
  REBALANCE_PROGRESS_KEY,
  type RebalanceProgress,
  watchRebalanceProgress,
} from "../src/index.js";
import { eventually, startTestConsul, type TestConsul } from "../src/testing/index.js";

// What zkv keeps in a real Consul's KV store: cluster settings, the placement record and the
// rebalance lock, rebalance progress reports. (consul.integration.test.ts: the agent, registration
// and membership.)

let consul: TestConsul;
beforeAll(async () => {
  consul = await startTestConsul();
});
afterAll(async () => {
  await consul?.stop();
});

describe("cluster settings", () => {
  it("defaults hashing to ring, stores hrw, and pushes KV changes", async () => {
    const settings = new ClusterSettings(consul.config);
    expect(await settings.hashing()).toBe("ring");
    const watch = settings.watchKey("zkv/hashing");
    expect(await watch.start()).toBeUndefined();
    const pushed = new Promise((resolve) => watch.once("change", resolve));
    await settings.setHashing("hrw");
    expect(await pushed).toBe("hrw");
    expect(await settings.hashing()).toBe("hrw");
    watch.close();
  });
});

describe("placement record and rebalance lock", () => {
  it("derives the initial placement from cluster_size, then CAS-writes records and keeps cluster_size true", async () => {
    const settings = new ClusterSettings(consul.config);
    await settings.setClusterSize(3);
    expect((await settings.placement())?.members.map((m) => [m.id, m.port])).toEqual([
      ["node-0", 2000],
      ["node-1", 2001],
      ["node-2", 2002],
    ]);
    const { record, index } = await settings.placementRecord();
    expect([record, index]).toEqual([undefined, 0]);
    const next = initialPlacement(4);
    expect(await settings.writePlacement(next, 0)).toBe(true);
    expect(await settings.writePlacement(next, 0)).toBe(false); // already exists: CAS refuses
    const stored = await settings.placementRecord();
    expect(stored.record).toEqual(next);
    expect(await settings.clusterSize()).toBe(4);
    expect(await settings.writePlacement({ ...next, epoch: 1 }, stored.index)).toBe(true);
  });

  it("lets one holder at a time take the lock, and frees it on release", async () => {
    const first = await ConsulLock.acquire(consul.config, "first");
    await expect(ConsulLock.acquire(consul.config, "second")).rejects.toMatchObject({
      code: "LOCK_HELD",
      holder: "first",
    });
    await first.release();
    const second = await ConsulLock.acquire(consul.config, "second");
    await second.release();
    await second.release();
  });

  it("takes over at once the lock of a holder on this machine that was killed", async () => {
    // A real holder process, SIGKILLed while it holds the lock: its session would take Consul
    // 20–35 s to expire.
    const script = `import { ConsulLock } from ${JSON.stringify(new URL("../src/index.ts", import.meta.url).pathname)};
      await ConsulLock.acquire(${JSON.stringify(consul.config)}, "doomed"); console.log("held"); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((resolve) => holder.stdout.once("data", resolve));
    await expect(ConsulLock.acquire(consul.config, "while alive")).rejects.toMatchObject({
      holder: "doomed",
    });
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.kill("SIGKILL");
    await exited;
    const next = await ConsulLock.acquire(consul.config, "next"); // no wait
    await next.release();
  });
});

describe("rebalance progress reports", () => {
  const report = (moved: number): RebalanceProgress => ({
    version: 1,
    run: "run-1",
    kind: "add",
    node: "node-4",
    phase: moved === 100 ? "done" : "moving",
    planned: 100,
    moved,
    swept: 0,
    scanned: 500,
    rate: 10,
    startedAt: 1,
    updatedAt: 1 + moved,
    holder: "test",
  });

  it("writes the first report at once, a burst as one more write per interval, and the last on flush()", async () => {
    const watch = watchRebalanceProgress(consul.config);
    expect(await watch.start()).toBeUndefined();
    const seen: Array<number | undefined> = [];
    watch.on("change", (p) => seen.push(p?.moved));
    const publisher = new ProgressPublisher(consul.config, { intervalMs: 60_000 });
    try {
      for (let moved = 1; moved <= 99; moved++) publisher.publish(report(moved));
      await eventually(() => seen.length === 1);
      // An interval of a minute: everything after the first waits for it, or for flush().
      publisher.publish(report(100));
      await publisher.flush();
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([1, 100]);
      expect(watch.current()).toEqual(report(100));
    } finally {
      publisher.close();
      watch.close();
    }
  });

  it("shows a report it cannot read as none, and keeps watching", async () => {
    const settings = new ClusterSettings(consul.config);
    await settings.set(REBALANCE_PROGRESS_KEY, "{not json");
    const watch = watchRebalanceProgress(consul.config);
    try {
      expect(await watch.start()).toBeUndefined();
      await settings.set(REBALANCE_PROGRESS_KEY, JSON.stringify(report(7)));
      await eventually(() => watch.current()?.moved === 7);
    } finally {
      watch.close();
    }
  });
});
