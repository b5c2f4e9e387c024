import type { ZkvClient } from "../lib/requests/client.js";
import type { VersionedValue } from "../lib/requests/put-options.js";
import type { VersionedEntry } from "../lib/requests/versioned-bulk.js";
import { agreedCopy } from "./agreed-copy.js";
import { BackupReader, exportEntryLine, exportHeaderLine } from "./format.js";

/** Keys written per round while exporting (those needing a quorum read are read together). */
const EXPORT_CHUNK = 5000;
/** Entries written per round while importing: a file of any size streams in bounded memory. */
const IMPORT_CHUNK = 20_000;

/**
 * Every entry in the cluster, in key order, each key once, as a format-2 export, from one pass
 * over every node listing entries with their versions (ZkvClient.scanCopies). A key whose replicas
 * all listed the same version is written as listed; any other key (replicas that disagree or miss
 * it, with replication) is read again with a quorum read, so a replica's stale copy is never what
 * is kept, and a key deleted or expired meanwhile is left out. Resolves to the entries written.
 */
export async function exportEntries(
  client: ZkvClient,
  sink: (line: string) => Promise<void>,
  onProgress?: (done: number) => void,
  now: () => number = Date.now,
): Promise<number> {
  await sink(exportHeaderLine(now()));
  let chunk: Array<{ key: string; copy: VersionedValue | undefined }> = [];
  let done = 0;
  const flush = async () => {
    const unsure = chunk.filter((e) => e.copy === undefined).map((e) => e.key);
    const read = unsure.length > 0 ? await client.getManyWithVersion(unsure) : [];
    let next = 0;
    for (const { key, copy } of chunk) {
      const kept = copy ?? read[next++];
      if (kept === undefined) continue;
      await sink(exportEntryLine({ key, ...kept }));
      done++;
    }
    chunk = [];
    onProgress?.(done);
  };
  for await (const batch of client.scanCopies()) {
    for (const { key, copies } of batch)
      chunk.push({ key, copy: agreedCopy(copies, client.replicasOf(key)) });
    if (chunk.length >= EXPORT_CHUNK) await flush();
  }
  if (chunk.length > 0) await flush();
  return done;
}

/** What an import did, per entry. */
export interface ImportCounts {
  /** The file's format: 2 with versions, 1 values only. */
  readonly format: 1 | 2;
  /** Entries written (format 1: all of them; format 2: those newer than the key's copy). */
  readonly imported: number;
  /** Format 2: entries left out because the cluster held the key at a newer (or the same) version. */
  readonly kept: number;
  /** Format 2: entries left out because they had expired by the time of the import. */
  readonly expired: number;
}

/**
 * Loads a backup, a chunk at a time. A format-2 entry is restored with its version and absolute
 * expiry, and each node keeps the newer of it and the key's own copy (ZkvClient.restoreMany), so
 * an older backup changes nothing that was written after it; an entry already expired is skipped
 * and counted. A format-1 file (values only) is written through the normal write path, as before
 * versions existed. Stops at the first malformed line, after the chunks before it; the error
 * (BackupFormatError) says which line. `onProgress` is told the lines read so far.
 */
export async function importEntries(
  client: ZkvClient,
  lines: AsyncIterable<string>,
  onProgress?: (linesRead: number) => void,
  now: () => number = Date.now,
): Promise<ImportCounts> {
  const reader = new BackupReader();
  let values: Array<readonly [string, string]> = [];
  let versioned: VersionedEntry[] = [];
  let imported = 0;
  let kept = 0;
  let expired = 0;
  const flush = async () => {
    if (values.length > 0) {
      await client.putMany(values);
      imported += values.length;
      values = [];
    }
    if (versioned.length > 0) {
      const counts = await client.restoreMany(versioned);
      imported += counts.applied;
      kept += counts.kept;
      versioned = [];
    }
    onProgress?.(reader.lines);
  };
  for await (const text of lines) {
    const item = reader.read(text);
    if (item === undefined) continue;
    if (item.format === 1) values.push([item.entry.key, item.entry.value]);
    else if (item.entry.expiresAt !== undefined && item.entry.expiresAt <= now()) expired++;
    else versioned.push(item.entry);
    if (values.length + versioned.length >= IMPORT_CHUNK) await flush();
  }
  await flush();
  return { format: reader.format ?? 1, imported, kept, expired };
}
