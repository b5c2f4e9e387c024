import type { ReplicateColumns, ReplicateRequest, VersionedEntry } from "./schemas/replication.js";

/**
 * Copies as a REPLICATE carries them in columns (see ReplicateColumnsSchema). The arrays grow by
 * push, not `new Array(n)`: a preallocated array is holey, and JSON.stringify walks a holey array
 * element by element through V8's slow path (a property lookup each), where a packed one of
 * strings or numbers takes its fast loop.
 */
export function replicateColumnsOf(entries: readonly VersionedEntry[]): ReplicateColumns {
  const n = entries.length;
  const keys: string[] = [];
  const values: Array<string | null> = [];
  const versions: number[] = [];
  let expiresAt: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    keys.push(e.key);
    values.push(e.value ?? null);
    versions.push(e.version);
    if (e.expiresAt !== undefined) {
      if (expiresAt === undefined) {
        expiresAt = [];
        for (let j = 0; j < n; j++) expiresAt.push(0);
      }
      expiresAt[i] = e.expiresAt;
    }
  }
  return expiresAt === undefined ? { keys, values, versions } : { keys, values, versions, expiresAt };
}

/** Every copy a REPLICATE carries, rows first, as rows (an object per copy: for tests and tools). */
export function copiesOfReplicate(request: Pick<ReplicateRequest, "entries" | "columns">): VersionedEntry[] {
  const copies = [...(request.entries ?? [])];
  const c = request.columns;
  if (c !== undefined) {
    for (let i = 0; i < c.keys.length; i++) {
      const value = c.values[i];
      const expiresAt = c.expiresAt?.[i];
      copies.push({
        key: c.keys[i]!,
        ...(value === null || value === undefined ? {} : { value }),
        version: c.versions[i]!,
        ...(expiresAt ? { expiresAt } : {}),
      });
    }
  }
  return copies;
}
