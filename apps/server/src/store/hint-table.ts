import { createHash } from "node:crypto";
import type { Database } from "lmdb";
import { decodeKey, encodeKey } from "./record.js";

/**
 * Where a coordinator keeps its hints (the keys each replica missed) so they outlive the process:
 * a set of (replica, key) pairs. The copy to send is not kept here: it is read from the store when
 * the hint is delivered, so it is always the newest the node holds.
 */
export interface HintLog {
  /** Every hint stored: replica → keys. */
  load(): Map<string, Set<string>>;
  /** Stores a hint; durable with the writes of the same event turn (the store's sync policy). */
  add(replica: string, key: string): void;
  /** Forgets a hint (delivered, or no longer wanted). */
  remove(replica: string, key: string): void;
}

/**
 * A hint's row in the `hints` table: [replica id bytes: uint16 BE][replica id, UTF-8]
 * [SHA-256 of the encoded key]. Hashed so every row key has a bounded length whatever the user
 * key's (LMDB caps keys at MAX_DIRECT_KEY_BYTES); the encoded key itself is the row's value.
 */
export function hintRowKey(replica: string, encodedKey: Buffer): Buffer {
  const id = Buffer.from(replica, "utf8");
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16BE(id.length, 0);
  return Buffer.concat([length, id, createHash("sha256").update(encodedKey).digest()]);
}

/** The replica id of a row key written by hintRowKey. */
export function replicaOfRow(row: Buffer): string {
  return row.toString("utf8", 2, 2 + row.readUInt16BE(0));
}

/**
 * The hints of a durable node, in a table of its own in the node's LMDB environment (beside the
 * data, so a hint recorded with a write commits in the write's transaction). `write` is the
 * store's, the way its own writes go (under `batch`, through its write-ahead log): a failed
 * commit is the store's failure, and `sync()` covers hint writes too.
 */
export class HintTable implements HintLog {
  constructor(
    private readonly table: Database<Buffer, Buffer>,
    private readonly write: (row: Buffer, value: Buffer | undefined) => void,
  ) {}

  load(): Map<string, Set<string>> {
    const byReplica = new Map<string, Set<string>>();
    for (const { key, value } of this.table.getRange({})) {
      const replica = replicaOfRow(key);
      const keys = byReplica.get(replica) ?? new Set<string>();
      if (keys.size === 0) byReplica.set(replica, keys);
      keys.add(decodeKey(value));
    }
    return byReplica;
  }

  add(replica: string, key: string): void {
    const encoded = encodeKey(key);
    this.write(hintRowKey(replica, encoded), encoded);
  }

  remove(replica: string, key: string): void {
    this.write(hintRowKey(replica, encodeKey(key)), undefined);
  }
}
