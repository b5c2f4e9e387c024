import {
  ErrorCode,
  type ErrorReply,
  encodeBatchColumns,
  errorFromReply,
  type Reply,
  repliesOfColumns,
} from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import { BulkMessages, RETRY_SINGLY } from "./bulk-messages.js";

/** Ops per BATCH message. */
const BULK_BATCH = 1000;

/**
 * The bulk engine for ops of any kind (versioned reads and restores: ops with options): grouped by
 * owner into BATCHes of 1000 (in columns, where such ops travel as rows), at most `window` in
 * flight; `onResult` gets each op's reply (undefined for NOT_FOUND). Redirected ops, and every op
 * of a message that failed whole, are retried one by one with routing. Rejects with the first
 * failure once all have settled (BulkMessages). putMany/getMany use BulkRun, which makes no
 * object per op.
 */
export async function runBulk(
  cluster: ClusterView,
  ops: Iterable<KeyOp>,
  window: number,
  onResult: (op: KeyOp, result: Reply | undefined) => void,
  onProgress?: (done: number) => void,
): Promise<void> {
  const messages = new BulkMessages(cluster, window, onProgress);
  const pending = new Map<string, KeyOp[]>();
  const retry = (op: KeyOp) => messages.retry(op, (reply) => onResult(op, reply));
  const settle = (batch: readonly KeyOp[], results: readonly Reply[]) =>
    batch.forEach((op, i) => {
      const code = (results[i] as { error?: { code?: string } }).error?.code;
      if (code === undefined) onResult(op, results[i]);
      else if (code === ErrorCode.NOT_FOUND) onResult(op, undefined);
      else if (RETRY_SINGLY.has(code)) retry(op);
      else messages.fail(errorFromReply(results[i] as ErrorReply));
    });
  const send = (owner: string, batch: KeyOp[]) => {
    const columns = encodeBatchColumns(batch);
    return messages.send(
      owner,
      columns,
      batch.length,
      1,
      (reply) => {
        let results: Reply[];
        try {
          results = repliesOfColumns(columns, reply);
        } catch (err) {
          messages.fail(err); // INTERNAL: the reply does not fit the batch
          return;
        }
        settle(batch, results);
      },
      (j) => retry(batch[j]!),
    );
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
  await messages.finish();
}
