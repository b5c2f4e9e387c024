/**
 * `node --expose-gc --import tsx bench/store-memory.ts [--keys N] [--store PATH]`: what the
 * in-memory store costs per key, in process (no sockets): live memory after a full GC (V8 heap
 * plus the ArrayBuffers outside it), resident memory, and CPU per put and per get, for 16-byte keys
 * and 100-byte values as in `pnpm bench`. --store loads another module exporting MemoryStore
 * (to compare a variant against the current one).
 */
import { getHeapStatistics } from "node:v8";

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const keys = Number(flag("--keys") ?? 1_000_000);
const module = flag("--store") ?? "../apps/server/src/store/memory-store.js";
const { MemoryStore } = (await import(module)) as typeof import("../apps/server/src/store/memory-store.js");
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");

const live = () => {
  gc();
  return getHeapStatistics().used_heap_size + process.memoryUsage().external;
};
const key = (i: number) => `key:${String(i).padStart(12, "0")}`;
const value = "v".repeat(100);
const store = new MemoryStore();
const liveBefore = live();
const rssBefore = process.memoryUsage.rss();
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
let t = cpu();
// Each value a fresh string, as a parsed request's would be.
for (let i = 0; i < keys; i++) store.put(key(i), value.slice(0, 99) + String(i % 10));
const putUs = (cpu() - t) / keys;
t = cpu();
let n = 0;
for (let i = 0; i < keys; i++) n += store.get(key(i))!.length;
const getUs = (cpu() - t) / keys;
if (n !== keys * 100) throw new Error("wrong values read back");
const perKey = (live() - liveBefore) / keys;
const rssPerKey = (process.memoryUsage.rss() - rssBefore) / keys;
console.log(
  `${store.size} keys: live ${perKey.toFixed(1)} B/key, rss ${rssPerKey.toFixed(1)} B/key, put ${putUs.toFixed(3)} µs, get ${getUs.toFixed(3)} µs (CPU incl. key making)`,
);
