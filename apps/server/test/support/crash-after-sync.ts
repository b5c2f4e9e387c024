/**
 * Writes keys (and a hint for each) to a DurableStore and SIGKILLs itself the moment `sync()` says they are durable,
 * before the event loop turns again: `node --import tsx crash-after-sync.ts <dir> <policy> <n> [staged]`.
 * What a reopened store then holds is what the policy really guaranteed to a client that was
 * answered right after sync(). With `staged`, the keys are staged (Store.stagePuts) as a BATCH
 * of plain PUTs answered before its inserts is, and the process dies before those inserts run.
 */
import { DurableStore, type SyncPolicy } from "../../src/store/index.js";

const [dir, policy, n, staged] = process.argv.slice(2) as [string, SyncPolicy, string, string?];
const store = await DurableStore.open({ dir, fsync: policy });
const hints = store.hintLog();
const keys = Array.from({ length: Number(n) }, (_, i) => `k${i}`);
if (staged === "staged")
  store.stagePuts(
    keys,
    keys.map((_, i) => `v${i}`),
  ); // inserts never run
else for (const [i, k] of keys.entries()) store.put(k, `v${i}`);
for (const k of keys) hints.add("node-1", k); // what a coordinator records for a replica that missed the write
const durable = store.sync();
if (durable) await durable;
process.kill(process.pid, "SIGKILL");
