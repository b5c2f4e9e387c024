import type { ZkvClient } from "./client.js";

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
  /** Requests kept in flight at once. Default 256. */
  readonly concurrency?: number;
  readonly onProgress?: (done: number) => void;
}

/**
 * The seed's producer: PUTs `count` records `<prefix><i>` → `value-<i>` with a bounded number of
 * requests in flight, counting per node which keys each acknowledged.
 */
export async function runLoad(client: ZkvClient, options: LoadOptions): Promise<LoadResult> {
  const prefix = options.prefix ?? "key-";
  const perNode: Record<string, number> = Object.fromEntries(client.members.map((m) => [m.id, 0]));
  let next = 0;
  let written = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < options.count) {
      const i = next++;
      const key = `${prefix}${i}`;
      try {
        const owner = client.ownerOf(key);
        await client.put(key, `value-${i}`);
        perNode[owner] = (perNode[owner] ?? 0) + 1;
        written++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
      options.onProgress?.(written + failed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 256, options.count) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { written, failed, seconds, perNode, ...(firstError ? { firstError } : {}) };
}
