import {
  type BatchColumnsReply,
  ErrorCode,
  type ErrorReply,
  encodeBatchColumns,
  errorFromReply,
  type Reply,
  repliesOfColumns,
  ZkvError,
} from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import { RETRY_SINGLY } from "./bulk.js";
import { routeToOwner } from "./redirects.js";
import { Window } from "./window.js";

/** Ops per BATCH message. */
const BULK_BATCH = 1000;

/**
 * The bulk engine for ops of any kind (versioned reads and restores: ops with options): grouped by
 * owner into BATCHes of 1000 (in columns, where such ops travel as rows), at most `window` in
 * flight; `onResult` gets each op's reply (undefined for NOT_FOUND). Redirected ops, and every op
 * of a message that failed whole, are retried one by one with routing. Rejects with the first
 * failure once all have settled. putMany/getMany use BulkRun, which makes no object per op.
 */
export async function runBulk(
  cluster: ClusterView,
  ops: Iterable<KeyOp>,
  window: number,
  onResult: (op: KeyOp, result: Reply | undefined) => void,
  onProgress?: (done: number) => void,
): Promise<void> {
  const slots = new Window(window);
  const pending = new Map<string, KeyOp[]>();
  const retries: Array<Promise<void>> = [];
  let first: unknown;
  let done = 0;
  const single = (op: KeyOp) =>
    routeToOwner(cluster, op).then(
      (r) => onResult(op, r.reply),
      (err: unknown) => {
        if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) onResult(op, undefined);
        else first ??= err;
      },
    );
  const settle = (batch: readonly KeyOp[], results: readonly Reply[]) =>
    batch.forEach((op, i) => {
      const code = (results[i] as { error?: { code?: string } }).error?.code;
      if (code === undefined) onResult(op, results[i]);
      else if (code === ErrorCode.NOT_FOUND) onResult(op, undefined);
      else if (RETRY_SINGLY.has(code)) retries.push(single(op));
      else first ??= errorFromReply(results[i] as ErrorReply);
    });
  const send = async (nodeId: string, batch: KeyOp[]) => {
    await slots.acquire();
    const columns = encodeBatchColumns(batch);
    cluster.nodes
      .send(nodeId, { op: "BATCH", columns })
      .then(
        (reply) => {
          let results: Reply[];
          try {
            results = repliesOfColumns(columns, reply as BatchColumnsReply);
          } catch (err) {
            first ??= err; // INTERNAL: the reply does not fit the batch
            return;
          }
          settle(batch, results);
        },
        (err: unknown) => {
          // The whole message failed (node down, timeout): each entry gets its own chance.
          for (const op of batch) retries.push(single(op));
          if (!(err instanceof ZkvError)) first ??= err;
        },
      )
      .finally(() => {
        slots.release();
        done += batch.length;
        onProgress?.(done);
      });
  };
  for (const op of ops) {
    const owner = cluster.ownerOf(op.key);
    const batch = pending.get(owner) ?? [];
    if (batch.length === 0) pending.set(owner, batch);
    batch.push(op);
    if (batch.length >= BULK_BATCH) {
      pending.delete(owner);
      await send(owner, batch);
    }
  }
  for (const [owner, batch] of pending) await send(owner, batch);
  await slots.drain();
  await Promise.all(retries);
  if (first !== undefined) throw first;
}
