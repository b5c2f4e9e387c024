import type { ZkvClient } from "./client.js";
import { Window } from "./window.js";

/** The outcome of a `load` run: what was written where, and how fast. */
export interface LoadResult {
  readonly written: number;
  readonly failed: number;
  readonly seconds: number;
  /** Keys acknowledged by each node, by node id (every member listed, zeros included). */
  readonly perNode: Record<string, number>;
  readonly firstError?: string;
}

export interface LoadOptions {
  readonly count: number;
  readonly prefix?: string;
  /** Writes outstanding at once (the client coalesces them into BATCH messages). Default 20,000. */
  readonly concurrency?: number;
  readonly onProgress?: (done: number) => void;
}

/**
 * The seed's producer: PUTs `count` records `<prefix><i>` → `value-<i>` with a bounded number of
 * writes outstanding (coalesced per node into BATCH messages), counting per node which keys each
 * acknowledged.
 */
export async function runLoad(client: ZkvClient, options: LoadOptions): Promise<LoadResult> {
  const prefix = options.prefix ?? "key-";
  const perNode: Record<string, number> = Object.fromEntries(client.members.map((m) => [m.id, 0]));
  let written = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const slots = new Window(options.concurrency ?? 20_000);
  for (let i = 0; i < options.count; i++) {
    const key = `${prefix}${i}`;
    await slots.acquire();
    client.put(key, `value-${i}`).then(
      ({ node }) => {
        perNode[node] = (perNode[node] ?? 0) + 1;
        written++;
        slots.release();
        options.onProgress?.(written + failed);
      },
      (err: unknown) => {
        failed++;
        firstError ??= (err as Error).message;
        slots.release();
        options.onProgress?.(written + failed);
      },
    );
  }
  await slots.drain();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { written, failed, seconds, perNode, ...(firstError ? { firstError } : {}) };
}
