import { createHash } from "node:crypto";
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
 * key's (LMDB, which held the rows before snapshots, capped keys at MAX_DIRECT_KEY_BYTES; the
 * format stays, so a migrated dir's rows read the same); the encoded key itself is the row's value.
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
 * The hints of a durable node, held in memory and kept on disk the way its entries are: each
 * add or remove is a write of the `hints` table to the store's write-ahead log (so `sync()`
 * covers it, as it covers a write recorded in the same turn), and every snapshot holds them all.
 * An open gives them back through restore().
 */
export class HintSet implements HintLog {
  /** Rows by their row key (latin1): the row key itself, the replica, the user key. */
  readonly #rows = new Map<string, { row: Buffer; replica: string; key: string }>();

  constructor(private readonly write: (row: Buffer, encodedKey: Buffer | undefined) => void) {}

  /** A hint row as a snapshot or the log holds it (encodedKey undefined: removed). */
  restore(row: Buffer, encodedKey: Buffer | undefined): void {
    const id = row.toString("latin1");
    if (encodedKey === undefined) this.#rows.delete(id);
    else this.#rows.set(id, { row, replica: replicaOfRow(row), key: decodeKey(encodedKey) });
  }

  load(): Map<string, Set<string>> {
    const byReplica = new Map<string, Set<string>>();
    for (const { replica, key } of this.#rows.values()) {
      const keys = byReplica.get(replica) ?? new Set<string>();
      if (keys.size === 0) byReplica.set(replica, keys);
      keys.add(key);
    }
    return byReplica;
  }

  add(replica: string, key: string): void {
    const encoded = encodeKey(key);
    const row = hintRowKey(replica, encoded);
    this.#rows.set(row.toString("latin1"), { row, replica, key });
    this.write(row, encoded);
  }

  remove(replica: string, key: string): void {
    const row = hintRowKey(replica, encodeKey(key));
    this.#rows.delete(row.toString("latin1"));
    this.write(row, undefined);
  }

  /** Shows `visit` every hint row and its encoded key: what a snapshot holds. */
  visit(visit: (row: Buffer, encodedKey: Buffer) => void): void {
    for (const { row, key } of this.#rows.values()) visit(row, encodeKey(key));
  }
}
