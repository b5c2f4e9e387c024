/**
 * `node --import tsx bench/durable-store-cpu.ts [--keys N] [--fsync batch|always|off|memory] [--src DIR]
 * [--per-message N] [--checkpoint-bytes N] [--staged]`: what a durable store costs per put, in process (no sockets): CPU of every
 * thread (process.cpuUsage) per put of a 16-byte key and a 100-byte value, in messages of 1000 puts
 * (`--per-message`) and a sync() each, as a bulk load's BATCHes arrive, until every write is
 * committed and fsynced (close()). `--per-message 50` is the 50-caller row's round: the next
 * message only once this one's sync() has resolved. `--checkpoint-bytes` sets the log's growth
 * between snapshots (a huge one: the log's cost alone, with no snapshot). `--staged`: each message
 * as the node takes a BATCH of plain PUTs, staged (Store.stagePuts), synced, then inserted.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Store } from "../apps/server/src/store/store.js";

const { values: options } = parseArgs({
  options: {
    keys: { type: "string", default: "500000" },
    fsync: { type: "string", default: "batch" },
    // Another checkout's store, to compare a change against main in alternation.
    src: { type: "string", default: "../apps/server/src/store" },
    "per-message": { type: "string", default: "1000" },
    "checkpoint-bytes": { type: "string" },
    staged: { type: "boolean", default: false },
  },
});
const keys = Number(options.keys);
const src = options.src;
const { DurableStore } = (await import(
  `${src}/durable-store.js`
)) as typeof import("../apps/server/src/store/durable-store.js");
const { MemoryStore } = (await import(
  `${src}/memory-store.js`
)) as typeof import("../apps/server/src/store/memory-store.js");
const fsync = options.fsync as "batch" | "always" | "off" | "memory";
const PER_MESSAGE = Number(options["per-message"]);
/** Messages in flight: 16 as a bulk load sends them, one at a time as 50 waiting callers do. */
const IN_FLIGHT = PER_MESSAGE >= 1000 ? 16 : 1;
const dir = mkdtempSync(join(tmpdir(), "zkv-durable-cpu-"));
const key = (i: number) => `key:${String(i).padStart(12, "0")}`;
const value = "v".repeat(100);
/** Put `i`'s value: a fresh string each, as a parsed request's would be. */
const putValue = (i: number) => value.slice(0, 99) + String(i % 10);
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
/** The main thread's own CPU, µs (utime + stime of its task; clock ticks of 10 ms). */
const mainThreadCpu = () => {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
try {
  const checkpoint = options["checkpoint-bytes"];
  const checkpointBytes = checkpoint === undefined ? {} : { checkpointBytes: Number(checkpoint) };
  const store: Store =
    fsync === "memory"
      ? new MemoryStore()
      : await DurableStore.open({ dir: join(dir, "node"), fsync, ...checkpointBytes });
  const t = cpu();
  const tMain = mainThreadCpu();
  const wall = performance.now();
  let inFlight: Array<Promise<void> | undefined> = [];
  for (let i = 0; i < keys; i += PER_MESSAGE) {
    if (options.staged && store.stagePuts) {
      const ks: string[] = [];
      const vs: string[] = [];
      for (let j = i; j < i + PER_MESSAGE && j < keys; j++) {
        ks.push(key(j));
        vs.push(putValue(j));
      }
      const inserts = store.stagePuts(ks, vs);
      inFlight.push(store.sync());
      inserts?.();
    } else {
      for (let j = i; j < i + PER_MESSAGE && j < keys; j++) store.put(key(j), putValue(j));
      inFlight.push(store.sync());
    }
    if (inFlight.length >= IN_FLIGHT) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    await new Promise((r) => setImmediate(r)); // the next message arrives in a later turn
  }
  await Promise.all(inFlight);
  await store.close();
  const us = (cpu() - t) / keys;
  const usMain = (mainThreadCpu() - tMain) / keys;
  const s = (performance.now() - wall) / 1000;
  console.log(
    `${fsync}: ${keys} puts in messages of ${PER_MESSAGE}, ${us.toFixed(3)} µs CPU per put (all threads, until closed; main thread ${usMain.toFixed(3)}), ${(keys / s).toFixed(0)} puts/s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
