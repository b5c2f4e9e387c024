/**
 * Writes keys (and a hint for each) to a DurableStore and SIGKILLs itself the moment `sync()` says they are durable,
 * before the event loop turns again: `node --import tsx crash-after-sync.ts <dir> <policy> <n>`.
 * What a reopened store then holds is what the policy really guaranteed to a client that was
 * answered right after sync().
 */
import { DurableStore, type SyncPolicy } from "../../src/store/index.js";

const [dir, policy, n] = process.argv.slice(2) as [string, SyncPolicy, string];
const store = await DurableStore.open({ dir, fsync: policy });
const hints = store.hintLog();
for (let i = 0; i < Number(n); i++) {
  store.put(`k${i}`, `v${i}`);
  hints.add("node-1", `k${i}`); // what a coordinator records for a replica that missed the write
}
const durable = store.sync();
if (durable) await durable;
process.kill(process.pid, "SIGKILL");
