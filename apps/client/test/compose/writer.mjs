// A writer for e2e-compose.test.ts, run in a zkv-client container on the compose network (the
// test mounts this file; the image has the client library in dist/ and its dependencies): puts
// w-0, w-1, ... with 16 writes in flight until SIGTERM, printing "ready" once connected,
// "ack <key>" for each acknowledged write and "fail <key> <code>" for each failed one, then
// "done <written> <failed>".
import { consulConfigFromEnv } from "@zkv/membership";
import { ZkvClient } from "./dist/index.js";

const client = await ZkvClient.connect({ consul: consulConfigFromEnv(), timeoutMs: 10_000 });
let stopping = false;
process.once("SIGTERM", () => {
  stopping = true;
});
process.stdout.write("ready\n");

let next = 0;
let failed = 0;
async function writeUntilStopped() {
  while (!stopping) {
    const key = `w-${next++}`;
    try {
      await client.put(key, `value-of-${key}`);
      process.stdout.write(`ack ${key}\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`fail ${key} ${err.code ?? err.message}\n`);
    }
  }
}
await Promise.all(Array.from({ length: 16 }, writeUntilStopped));
process.stdout.write(`done ${next} ${failed}\n`);
client.close();
process.exit(0);
