import type { KeyValue } from "@zkv/protocol";
import type { ZkvClient } from "../lib/requests/client.js";

/**
 * Backups are JSON lines, one `{"key":…,"value":…}` per line: the shape of GET_ALL's entries,
 * readable by `jq`, `grep` and any language, and streamable in both directions.
 */
export function backupLine(entry: KeyValue): string {
  return `${JSON.stringify({ key: entry.key, value: entry.value })}\n`;
}

/** A backup line that is not an entry; `line` counts from 1. */
export class BackupFormatError extends Error {
  readonly code = "BAD_BACKUP_LINE";
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** One line of a backup → its entry; blank lines are skipped (undefined). */
export function parseBackupLine(text: string, line: number): KeyValue | undefined {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BackupFormatError(line, "not JSON");
  }
  const entry = value as { key?: unknown; value?: unknown } | null;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new BackupFormatError(line, 'expected an object {"key":…,"value":…}');
  }
  if (typeof entry.key !== "string") throw new BackupFormatError(line, '"key" must be a string');
  if (typeof entry.value !== "string") throw new BackupFormatError(line, '"value" must be a string');
  return { key: entry.key, value: entry.value };
}

/** Every entry in the cluster, in key order, each key once (see ZkvClient.scan). */
export async function exportEntries(
  client: ZkvClient,
  sink: (line: string) => Promise<void>,
  onProgress?: (done: number) => void,
): Promise<number> {
  let done = 0;
  for await (const entry of client.scan()) {
    await sink(backupLine(entry));
    onProgress?.(++done);
  }
  return done;
}

/**
 * Loads backup lines through the normal write path (putMany: batched per owner), a chunk at a
 * time so a file of any size streams in bounded memory. Stops at the first malformed line, after
 * writing the chunks before it; the error says which line.
 */
export async function importEntries(
  client: ZkvClient,
  lines: AsyncIterable<string>,
  onProgress?: (done: number) => void,
  chunkSize = 20_000,
): Promise<number> {
  let chunk: Array<readonly [string, string]> = [];
  let written = 0;
  let line = 0;
  const flush = async () => {
    await client.putMany(chunk);
    written += chunk.length;
    chunk = [];
    onProgress?.(written);
  };
  for await (const text of lines) {
    const entry = parseBackupLine(text, ++line);
    if (entry === undefined) continue;
    chunk.push([entry.key, entry.value]);
    if (chunk.length >= chunkSize) await flush();
  }
  if (chunk.length > 0) await flush();
  return written;
}
