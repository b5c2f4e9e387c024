/**
 * What anti-entropy costs at 1M keys: two replicas of a 3-node ring with n = 3 (so each holds
 * every key, in one range), each a MemoryStore behind a TrackedStore with its RangeTrees, the
 * second reached through its AE answers serialized to JSON and back, as on the wire (ZeroMQ's own
 * cost is left out: a message each way). Measured, in one process:
 *
 * - the write path: ns per write added by keeping the trees (apply() through a TrackedStore vs a
 *   bare MemoryStore);
 * - building the trees from scratch (at start, and after each placement change);
 * - a pass when the replicas agree: CPU (both sides together) and bytes, averaged over 200 passes;
 * - a pass that finds 1 and 1000 differing keys: CPU, bytes, and the listing scan it needs.
 *
 *   pnpm --filter @zkv/server exec tsx bench/anti-entropy.bench.ts          # ~1 min, 1M keys
 *   pnpm --filter @zkv/server exec tsx bench/anti-entropy.bench.ts --quick  # 100k keys
 */
import { createPlacement } from "@zkv/hashring";
import { ROUND_KEYS } from "../src/anti-entropy/anti-entropy.js";
import { exchangeRound, type ReplicaSide } from "../src/anti-entropy/exchange.js";
import { LocalSide } from "../src/anti-entropy/local-side.js";
import { RangeTrees } from "../src/anti-entropy/range-trees.js";
import { type AePeerRequest, RemoteSide } from "../src/anti-entropy/remote-side.js";
import { TrackedStore } from "../src/anti-entropy/tracked-store.js";
import { MemoryStore, type Versioned } from "../src/store/index.js";

const KEYS = process.argv.includes("--quick") ? 100_000 : 1_000_000;
const placement = createPlacement("ring", ["node-a", "node-b", "node-c"]);
const keyOf = (i: number) => `key:${i.toString().padStart(9, "0")}`;
const copyOf = (i: number, version = 1_700_000_000_000_000 + i): Versioned => ({
  value: `value-${i}-xxxxxxxx`,
  version,
});

interface Replica {
  readonly store: TrackedStore;
  readonly trees: RangeTrees;
}

function replica(): Replica {
  const trees = new RangeTrees();
  trees.rebuild(0, placement, 3, new MemoryStore());
  return { trees, store: new TrackedStore(new MemoryStore(), (k, b, a) => trees.update(k, b, a)) };
}

/** CPU ms (user + system) and wall ms of `run`. */
async function measure(run: () => Promise<unknown> | unknown): Promise<{ cpu: number; wall: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / 1000, wall: performance.now() - wall };
}

/** Peer `b` as node a's RemoteSide sees it: every request and reply through JSON, as on the wire. */
function overTheWire(b: Replica): RemoteSide {
  const side = new LocalSide({ self: "node-b", peer: "node-a", trees: b.trees, store: b.store });
  const answer = async (request: AePeerRequest): Promise<unknown> => {
    switch (request.op) {
      case "AE_ROOTS":
        return { ranges: await side.roots() };
      case "AE_HASHES":
        return { ranges: (await side.hashes(request.ranges)).map((nodes) => ({ nodes })) };
      case "AE_KEYS":
        return { ranges: await side.keys(request.ranges) };
      case "REPLICA_GET":
        return { entries: request.keys.map((key) => ({ key, ...b.store.copy(key) })) };
    }
  };
  return new RemoteSide({
    self: "node-a",
    peer: "node-b",
    epoch: 0,
    request: async (_peer, request) =>
      JSON.parse(JSON.stringify(await answer(JSON.parse(JSON.stringify(request))))),
    push: async (_peer, key, copy) => b.store.apply(key, JSON.parse(JSON.stringify(copy))),
    timeoutMs: 60_000,
    scanTimeoutMs: 60_000,
  });
}

async function pass(local: ReplicaSide, remote: RemoteSide) {
  const bytesBefore = remote.bytes;
  let different = 0;
  const cost = await measure(async () => {
    for (let more = true; more; ) {
      const r = await exchangeRound(local, remote, ROUND_KEYS);
      different += r.different;
      more = r.more && r.different > 0;
    }
  });
  return { ...cost, bytes: remote.bytes - bytesBefore, different };
}

const row = (what: string, value: string) => console.log(`${what.padEnd(58)} ${value}`);

const bare = new MemoryStore();
const a = replica();
const b = replica();
for (let i = 0; i < KEYS; i++) {
  bare.apply(keyOf(i), copyOf(i));
  a.store.apply(keyOf(i), copyOf(i));
  b.store.apply(keyOf(i), copyOf(i));
}
// Overwrites of every key with a newer version, the two stores alternating, best of 3 rounds.
let plain = Number.POSITIVE_INFINITY;
let tracked = Number.POSITIVE_INFINITY;
for (let round = 1; round <= 3; round++) {
  const overwrite = (store: { apply(key: string, copy: Versioned): boolean }) => () => {
    for (let i = 0; i < KEYS; i++) store.apply(keyOf(i), copyOf(i, copyOf(i).version + round));
  };
  plain = Math.min(plain, (await measure(overwrite(bare))).cpu);
  tracked = Math.min(tracked, (await measure(overwrite(a.store))).cpu);
}
for (let i = 0; i < KEYS; i++) b.store.apply(keyOf(i), copyOf(i, copyOf(i).version + 3));
console.log(`anti-entropy at ${KEYS.toLocaleString("en")} keys (two replicas, one range)`);
row("write path: overwrite, MemoryStore alone", `${((plain * 1e6) / KEYS).toFixed(0)} ns CPU/write`);
row(
  "write path: overwrite through TrackedStore + trees",
  `${((tracked * 1e6) / KEYS).toFixed(0)} ns CPU/write`,
);

const rebuilt = new RangeTrees();
const build = await measure(() => rebuilt.rebuild(0, placement, 3, a.store));
row("tree build from the store, in one go", `${build.cpu.toFixed(0)} ms CPU`);
// As a node does it (TreeKeeper): 10 ms slices with the event loop free between them; the
// longest slice (CPU, so other processes on a loaded machine do not count) is the longest a
// request waits behind the build. The first slice is the listing of the keys.
const sliced = new RangeTrees();
const slices: number[] = [];
const cpuOf = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const slicedCpu = await measure(async () => {
  let since = process.cpuUsage();
  sliced.beginRebuild(0, placement, 3, a.store);
  slices.push(cpuOf(since));
  for (let done = false; !done; ) {
    await new Promise((resolve) => setImmediate(resolve));
    since = process.cpuUsage();
    done = sliced.stepRebuild(a.store, 10);
    slices.push(cpuOf(since));
  }
});
const sorted = [...slices].sort((x, y) => x - y);
row(
  "tree build a slice at a time: CPU, slices",
  `${slicedCpu.cpu.toFixed(0)} ms CPU, ${slices.length} slices (listing the keys ${slices[0]!.toFixed(0)} ms)`,
);
row(
  "tree build a slice at a time: CPU per slice p50 / max",
  `${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} / ${sorted.at(-1)!.toFixed(1)} ms`,
);
const local = new LocalSide({ self: "node-a", peer: "node-b", trees: a.trees, store: a.store });
const remote = overTheWire(b);
const PASSES = 200;
let agreeCpu = 0;
let agreeBytes = 0;
for (let i = 0; i < PASSES; i++) {
  const p = await pass(local, remote);
  if (p.different !== 0) throw new Error("replicas should agree");
  agreeCpu += p.cpu;
  agreeBytes += p.bytes;
}
row("pass, replicas agree: CPU (both sides)", `${((agreeCpu / PASSES) * 1000).toFixed(0)} µs`);
row("pass, replicas agree: bytes exchanged", `${Math.round(agreeBytes / PASSES)} B`);

for (const n of [1, 1000]) {
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * KEYS) / n);
    b.store.apply(keyOf(k), copyOf(k, copyOf(k).version + 10)); // b newer: a pulls
  }
  const p = await pass(local, remote);
  row(`pass, ${n} key(s) differ: found`, `${p.different}`);
  row(
    `pass, ${n} key(s) differ: CPU (both sides) / wall`,
    `${p.cpu.toFixed(0)} ms / ${p.wall.toFixed(0)} ms`,
  );
  row(`pass, ${n} key(s) differ: bytes exchanged`, `${Math.round(p.bytes / 1024)} KiB`);
}
