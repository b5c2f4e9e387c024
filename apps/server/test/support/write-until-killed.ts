/**
 * Writes rounds of puts and deletes (and hints) to a DurableStore whose snapshots come every
 * KiB of log, a slice of a few entries per turn, so a kill lands anywhere in one; prints `acked R` once
 * round R's sync() says it is durable: `node --import tsx write-until-killed.ts <dir> <policy>`.
 * Round R puts `R` to 40 keys (key i·7+R·37 mod 300) and deletes one; the test SIGKILLs it.
 */
import { DurableStore, type SyncPolicy } from "../../src/store/index.js";

const [dir, policy] = process.argv.slice(2) as [string, SyncPolicy];
const store = await DurableStore.open({ dir, fsync: policy, checkpointBytes: 1024, snapshotSliceIds: 16 });
const hints = store.hintLog();
for (let round = 0; ; round++) {
  for (let i = 0; i < 40; i++) store.put(`k${(i * 7 + round * 37) % 300}`, String(round));
  store.delete(`k${(round * 11) % 300}`);
  hints.add("node-1", `r${round}`);
  const durable = store.sync();
  if (durable) await durable;
  process.stdout.write(`acked ${round}\n`);
  await new Promise((resolve) => setImmediate(resolve)); // a turn, for a snapshot's slice
}
