/**
 * A process that takes a data dir's lock and holds it until killed: `node --import tsx
 * lock-holder.ts <dir>`. Prints `locked <pid>`, or `refused <code> <holder pid>` and exits 73 as
 * the server does. The lock tests start, kill and zombify it.
 */
import { DataDirError } from "../../src/store/errors.js";
import { DataDirLock } from "../../src/store/lock.js";

try {
  DataDirLock.acquire(process.argv[2]!);
  process.stdout.write(`locked ${process.pid}\n`);
  setInterval(() => {}, 60_000); // hold it until killed
} catch (err) {
  if (!(err instanceof DataDirError)) throw err;
  process.stdout.write(`refused ${err.code} ${err.pid ?? "?"}\n`);
  process.exit(73);
}
