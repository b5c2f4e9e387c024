import os from "node:os";
import HashRing from "hashring";
import { ConsistentHashRing, DEFAULT_VNODES, hash32, type Placement, RendezvousHash } from "../src/index.js";
import { consumeSink, kib, mops, opsPerSecond, type PerKey, printTable, retainedBytes } from "./measure.js";
import { vnodeSweep } from "./vnode-sweep.js";
import { flat, makeKeys, makeNodes } from "./workload.js";
import { xxhash32Ascii } from "./xxhash32.js";

/**
 * `pnpm --filter @zkv/hashring bench`: lookups/s of both algorithms against the npm `hashring`
 * (ketama) on the same keys, memory per placement, HRW's per-node cost, hash candidates, and the
 * vnode sweep behind DEFAULT_VNODES. Prints Markdown tables; asserts nothing.
 */

const SIZES = [4, 16, 64, 256];
const keys = makeKeys(100_000);

console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cpus`);

console.log("\n## Hash candidates (ns per hash, flat ASCII keys)\n");
if (xxhash32Ascii("", 0) !== 0x02cc5d05 || xxhash32Ascii("abc", 0) !== 0x32d153ff)
  throw new Error("xxhash32 broken");
printTable(
  ["key bytes", "murmur3 (hash32)", "xxhash32"],
  [8, 16, 24, 32, 64].map((len) => {
    const sample = keys.slice(0, 20_000).map((k) => flat(k.padEnd(len, "x").slice(0, len)));
    const ns = (f: PerKey) => (1e9 / opsPerSecond(f, sample, 200, 4)).toFixed(1);
    return [len, ns(hash32), ns(xxhash32Ascii)];
  }),
);

interface Row {
  size: number;
  ring: number;
  hrw: number;
  weighted: number;
  ketama: number;
  built: { ring: Built; hrw: Built; ketama: Built };
}
type Built = { bytes: number; buildMs: number };

const results: Row[] = [];
for (const size of SIZES) {
  const nodes = makeNodes(size);
  const ring = await retainedBytes(() => new ConsistentHashRing(nodes));
  const hrw = await retainedBytes(() => new RendezvousHash(nodes));
  const ketama = await retainedBytes(() => new HashRing(nodes));
  const weighted = new RendezvousHash(nodes.map((id, i) => ({ id, weight: 1 + (i % 3) })));
  results.push({
    size,
    ring: opsPerSecond((k) => ring.value.locate(k), keys),
    hrw: opsPerSecond((k) => hrw.value.locate(k), keys),
    weighted: opsPerSecond((k) => weighted.locate(k), keys),
    ketama: opsPerSecond((k) => ketama.value.get(k), keys),
    built: { ring, hrw, ketama },
  });
}

console.log("\n## Lookups (100k distinct keys, equal weights)\n");
printTable(
  ["nodes", "zkv ring", "zkv hrw", "hashring (ketama)", "ring / hashring", "hrw / hashring"],
  results.map((r) => [
    r.size,
    mops(r.ring),
    mops(r.hrw),
    mops(r.ketama),
    `${(r.ring / r.ketama).toFixed(1)}x`,
    `${(r.hrw / r.ketama).toFixed(1)}x`,
  ]),
);

console.log("\n## Memory retained per placement, and build time\n");
const cost = (b: Built) => `${kib(b.bytes)}, ${b.buildMs.toFixed(2)} ms`;
printTable(
  ["nodes", "zkv ring", "zkv hrw", "hashring (ketama)"],
  results.map((r) => [r.size, cost(r.built.ring), cost(r.built.hrw), cost(r.built.ketama)]),
);

console.log(
  "\n## HRW cost per node (ns per lookup; marginal = extra ns per added node vs the previous size)\n",
);
const ns = (rate: number) => 1e9 / rate;
printTable(
  ["nodes", "hrw ns/lookup", "hrw marginal ns/node", "weighted hrw ns/lookup", "weighted marginal ns/node"],
  results.map((r, i) => {
    const prev = results[i - 1];
    const marginal = (now: number, before: number | undefined) =>
      prev && before !== undefined ? ((ns(now) - ns(before)) / (r.size - prev.size)).toFixed(2) : "-";
    return [
      r.size,
      ns(r.hrw).toFixed(0),
      marginal(r.hrw, prev?.hrw),
      ns(r.weighted).toFixed(0),
      marginal(r.weighted, prev?.weighted),
    ];
  }),
);

console.log("\n## Hot working set (1,000 keys cycled, 16 nodes): hashring's 5,000-entry LRU cache hits\n");
{
  const hot = keys.slice(0, 1000);
  const nodes = makeNodes(16);
  const ring = new ConsistentHashRing(nodes);
  const ketama = new HashRing(nodes);
  const rRing = opsPerSecond((k) => ring.locate(k), hot);
  const rKetama = opsPerSecond((k) => ketama.get(k), hot);
  printTable(
    ["zkv ring", "hashring (cached)", "ring / hashring"],
    [[mops(rRing), mops(rKetama), `${(rRing / rKetama).toFixed(1)}x`]],
  );
}

console.log(`\n## Balance vs vnodes (10 nodes, 100k keys, 30 clusters; default is ${DEFAULT_VNODES})\n`);
vnodeSweep([16, 64, 128, 160, 256, 512, 1024, 2048], 30, keys);

console.log("\n## Balance of the defaults (10 nodes node-0..node-9, 100k keys)\n");
const tenNodes = Array.from({ length: 10 }, (_, i) => `node-${i}`);
const balance = (p: Placement) => {
  const load = new Map<string, number>();
  for (const key of keys) load.set(p.locate(key), (load.get(p.locate(key)) ?? 0) + 1);
  return (Math.max(...load.values()) / (keys.length / 10)).toFixed(3);
};
printTable(
  ["algorithm", "max/mean"],
  [
    ["ring", balance(new ConsistentHashRing(tenNodes))],
    ["hrw", balance(new RendezvousHash(tenNodes))],
  ],
);
console.log(`\n(sink ${consumeSink() & 1})`);
