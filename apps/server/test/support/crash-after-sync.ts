/**
 * Writes keys to a DurableStore and SIGKILLs itself the moment `sync()` says they are durable,
 * before the event loop turns again: `node --import tsx crash-after-sync.ts <dir> <policy> <n>`.
 * What a reopened store then holds is what the policy really guaranteed to a client that was
 * answered right after sync().
 */
import type { SyncPolicy } from "../../src/store/durable-store.js";
import { DurableStore } from "../../src/store/index.js";

const [dir, policy, n] = process.argv.slice(2) as [string, SyncPolicy, string];
const store = await DurableStore.open({ dir, fsync: policy });
for (let i = 0; i < Number(n); i++) store.put(`k${i}`, `v${i}`);
const durable = store.sync();
if (durable) await durable;
process.kill(process.pid, "SIGKILL");
