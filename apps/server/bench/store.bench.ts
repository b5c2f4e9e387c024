/**
 * Picks the durable store's engine by measurement: lmdb vs classic-level (LevelDB), 16-byte keys
 * and 100-byte values, under each zkv sync policy. Each write is applied the way DurableStore
 * applies it: entries gathered into one commit ("group"), and the commit awaited as the policy
 * says (always: until fsynced; batch: until handed to the OS, the fsync following in the
 * background for lmdb (LevelDB has none: it would need a timer); off: not awaited, no fsync).
 * A group of 1 is a lone client writing one key at a time; 1000 is many clients sharing a commit.
 * Reads: point gets (synchronous in both engines) and a full scan, which is what a restart does.
 *
 *   pnpm --filter @zkv/server bench            # ~30 s;  --quick for a smoke run
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { open } from "lmdb";

type Policy = "always" | "batch" | "off";

/** What the bench needs of an engine: commits of whole groups, point reads, a full scan. */
interface Engine {
  commit(keys: Buffer[], values: Buffer[]): Promise<void>;
  get(key: Buffer): Buffer | undefined;
  scan(): Promise<number>;
  close(): Promise<void>;
}

const quick = process.argv.includes("--quick");
const SECONDS = quick ? 0.3 : 1.5;
const ENTRIES = quick ? 20_000 : 200_000;

function keyOf(i: number): Buffer {
  return Buffer.from(`key-${String(i).padStart(12, "0")}`); // 16 bytes
}
const VALUE = Buffer.alloc(100, "v");

async function openLmdb(dir: string, policy: Policy): Promise<Engine> {
  const db = open({ path: dir, keyEncoding: "binary", encoding: "binary", noSync: policy === "off" });
  return {
    async commit(keys, values) {
      let last: Promise<boolean> | undefined;
      for (let i = 0; i < keys.length; i++) last = db.put(keys[i]!, values[i]!);
      await last;
      if (policy === "always") await db.flushed;
    },
    get: (key) => db.getBinary(key) ?? undefined,
    async scan() {
      let n = 0;
      for (const _ of db.getRange({})) n++;
      return n;
    },
    close: () => db.close(),
  };
}

async function openLevel(dir: string, policy: Policy): Promise<Engine> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
  await db.open();
  return {
    commit(keys, values) {
      const ops = keys.map((key, i) => ({ type: "put" as const, key, value: values[i]! }));
      return db.batch(ops, { sync: policy === "always" });
    },
    get: (key) => db.getSync(key),
    async scan() {
      let n = 0;
      const it = db.iterator();
      for (;;) {
        const page = await it.nextv(1000);
        if (page.length === 0) break;
        n += page.length;
      }
      await it.close();
      return n;
    },
    close: () => db.close(),
  };
}

/** Writes for SECONDS (at least one group) in groups of `group`; returns entries per second. */
async function putRate(engine: Engine, policy: Policy, group: number, start: number): Promise<number> {
  const values = new Array<Buffer>(group).fill(VALUE);
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const keys = Array.from({ length: group }, (_, i) => keyOf(start + n + i));
    const done = engine.commit(keys, values);
    if (policy === "off") {
      pending.push(done);
      // Yield so commits proceed as they would in a serving node; bound the queue.
      if (pending.length >= 64) await pending.shift();
    } else await done;
    n += group;
  }
  await Promise.all(pending);
  return n / ((performance.now() - t0) / 1000);
}

async function fill(engine: Engine): Promise<void> {
  for (let i = 0; i < ENTRIES; i += 1000) {
    const keys = Array.from({ length: 1000 }, (_, j) => keyOf(i + j));
    await engine.commit(keys, new Array<Buffer>(1000).fill(VALUE));
  }
}

function getRate(engine: Engine): number {
  const keys = Array.from({ length: 100_000 }, () => keyOf(Math.floor(Math.random() * ENTRIES)));
  const t0 = performance.now();
  let found = 0;
  for (const k of keys) if (engine.get(k) !== undefined) found++;
  if (found !== keys.length) throw new Error(`get found ${found} of ${keys.length}`);
  return keys.length / ((performance.now() - t0) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(12);
const engines = { lmdb: openLmdb, "classic-level": openLevel } as const;
const root = mkdtempSync(join(tmpdir(), "zkv-store-bench-"));
try {
  console.log(`engine         policy  put x1/s  put x1000/s   get/s   scan/s   (${ENTRIES} entries)`);
  for (const [name, openEngine] of Object.entries(engines)) {
    for (const policy of ["always", "batch", "off"] as const) {
      const dir = join(root, `${name}-${policy}`);
      const engine = await openEngine(dir, policy);
      const single = await putRate(engine, policy, 1, 10_000_000);
      const grouped = await putRate(engine, policy, 1000, 20_000_000);
      await fill(engine);
      const gets = getRate(engine);
      const t0 = performance.now();
      const scanned = await engine.scan();
      const scans = scanned / ((performance.now() - t0) / 1000);
      await engine.close();
      console.log(
        `${name.padEnd(14)} ${policy.padEnd(6)}${fmt(single)}${fmt(grouped)}${fmt(gets)}${fmt(scans)}`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
