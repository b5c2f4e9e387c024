import type { ReplicateColumns, ReplicateRequest, VersionedEntry } from "./schemas/replication.js";

/** Copies as a REPLICATE carries them in columns (see ReplicateColumnsSchema). */
export function replicateColumnsOf(entries: readonly VersionedEntry[]): ReplicateColumns {
  const n = entries.length;
  const keys = new Array<string>(n);
  const values = new Array<string | null>(n);
  const versions = new Array<number>(n);
  let expiresAt: number[] | undefined;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    keys[i] = e.key;
    values[i] = e.value ?? null;
    versions[i] = e.version;
    if (e.expiresAt !== undefined) {
      expiresAt ??= new Array<number>(n).fill(0);
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
