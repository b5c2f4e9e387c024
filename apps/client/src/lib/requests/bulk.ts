import {
  type BatchReply,
  ErrorCode,
  type ErrorReply,
  errorFromReply,
  type Reply,
  ZkvError,
} from "@zkv/protocol";
import type { KeyOp } from "../cluster/batcher.js";
import type { ClusterView } from "../cluster/cluster-view.js";
import { routeToOwner } from "./redirects.js";
import { Window } from "./window.js";

/** Entries per BATCH message. */
const BULK_BATCH = 1000;
/** Per-entry errors of a bulk message that the entry is retried for, on its own, with routing. */
const RETRY_SINGLY = new Set<string>([ErrorCode.WRONG_NODE, ErrorCode.ASK, ErrorCode.TRY_AGAIN]);

/**
 * The bulk engine behind putMany/getMany: ops grouped by owner into BATCH messages of 1000 sent
 * straight to each node, at most `window` messages in flight, so memory stays bounded for any
 * input size and no per-op promise is made. Ops a node redirects (a rebalance in progress) or
 * that failed with their whole message are retried one by one with routing. Rejects with the
 * first failure once all have settled.
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
    routeToOwner(cluster, op.key, op).then(
      (r) => onResult(op, r.reply),
      (err: unknown) => {
        if (err instanceof ZkvError && err.code === ErrorCode.NOT_FOUND) onResult(op, undefined);
        else first ??= err;
      },
    );
  const send = async (nodeId: string, batch: KeyOp[]) => {
    await slots.acquire();
    cluster.nodes
      .send(nodeId, { op: "BATCH", ops: batch })
      .then(
        (reply) => {
          const results = (reply as BatchReply).results;
          batch.forEach((op, i) => {
            const r = results[i] as Reply | undefined;
            if (typeof r !== "object" || r === null) {
              first ??= new ZkvError(ErrorCode.INTERNAL, "BATCH reply has a missing or malformed result");
              return;
            }
            const code = (r as { error?: { code?: string } }).error?.code;
            if (code === undefined) onResult(op, r);
            else if (code === ErrorCode.NOT_FOUND) onResult(op, undefined);
            else if (RETRY_SINGLY.has(code)) retries.push(single(op));
            else first ??= errorFromReply(r as ErrorReply);
          });
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
