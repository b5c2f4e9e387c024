/**
 * The thread LmdbCommitter starts: commits the write-ahead log's frames to LMDB and fsyncs
 * them, one request after another, while the node's main thread goes on serving. It opens the
 * data dir's environment as the main thread did (lmdb-js shares it between the two).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { CommitReply, CommitRequest } from "./lmdb-committer.js";
import { LmdbTables, openEnvironment } from "./lmdb-tables.js";

const port = parentPort!;
const root = openEnvironment((workerData as { dir: string }).dir, false);
const tables = new LmdbTables(root);
/** Each reply waits for the ones before it: the main thread matches them to requests in order. */
let replied: Promise<void> = Promise.resolve();

const reply = (message: CommitReply) => port.postMessage(message);
const failure = (err: unknown): CommitReply => {
  const { message, code } = err as { message?: string; code?: unknown };
  return { error: { message: String(message ?? err), ...(typeof code === "string" ? { code } : {}) } };
};

port.on("message", (request: CommitRequest) => {
  if (request.frames === undefined) {
    replied = replied.then(() => root.close()).finally(() => port.close());
    return;
  }
  const { buffer, byteOffset, byteLength } = request.frames;
  try {
    tables.commitLogged(Buffer.from(buffer, byteOffset, byteLength), request.applied);
  } catch (err) {
    replied = replied.then(() => reply(failure(err)));
    return;
  }
  replied = replied
    .then(() => tables.syncDisk())
    .then(
      () => reply({ committed: request.applied }),
      (err: unknown) => reply(failure(err)),
    );
});
