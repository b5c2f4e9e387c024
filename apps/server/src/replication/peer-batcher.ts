import { type ReplicaGetReply, type Reply, replicateColumnsOf, type VersionedEntry } from "@zkv/protocol";
import { copyOf, type Versioned } from "../store/index.js";
import type { PeerRequest } from "./peer-links.js";

/** What the batcher needs of the links: one request to one peer. */
export interface PeerTransport {
  /** `body`, when given, is `request` in JSON already (without an id): sent as it is. */
  request(peer: string, request: PeerRequest, timeoutMs: number, body?: string): Promise<Reply>;
}

/** A REPLICATE encoded during one flush, and the copies it carries. */
interface Encoded {
  readonly entries: readonly VersionedEntry[];
  readonly request: Extract<PeerRequest, { op: "REPLICATE" }>;
  readonly body: string;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/** Most entries (or keys) per REPLICATE / REPLICA_GET message, well inside the protocol's caps. */
const MAX_ENTRIES = 1000;
/** Rough cap on a REPLICATE's size, keys and values counted, well inside maxMessageBytes. */
const MAX_BYTES = 1024 * 1024;

/** A peer's answer to a read: its copy, and whether it counts (false: the peer is bootstrapping). */
export interface PeerCopy {
  readonly copy: Versioned | undefined;
  readonly counts: boolean;
}

/**
 * Copies sent together, answered together: the waiter settles once every REPLICATE carrying one
 * of them has been answered (rejects at the first failure).
 */
interface CopyGroup {
  /** Index just past the group's last copy in its outbox. */
  readonly end: number;
  readonly waiter: Waiter<void>;
  /** Messages carrying some of its copies that have not been answered yet. */
  messages: number;
  failed: boolean;
}

interface Outbox {
  copies: VersionedEntry[];
  /** In the order of their copies, which they cover contiguously. */
  groups: CopyGroup[];
  reads: string[];
  readWaiters: Array<Waiter<PeerCopy>>;
}

/**
 * Coalesces what a coordinator sends each peer in one turn: a BATCH of 1000 writes to keys that
 * share replicas becomes one REPLICATE per peer, not 1000, since on ZeroMQ each message costs
 * far more than each entry in it. Flushed on process.nextTick, like the client's batcher.
 */
export class PeerBatcher {
  readonly #outboxes = new Map<string, Outbox>();
  #scheduled = false;

  constructor(
    private readonly transport: PeerTransport,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends `copy` of `key` to `peer`; resolves once the peer has applied it (kept it, or held a
   * newer one), bootstrapping or not: every such ack counts toward a write quorum.
   */
  replicate(peer: string, key: string, copy: Versioned): Promise<void> {
    return this.replicateMany(peer, [entryOf(key, copy)]);
  }

  /**
   * Sends many copies to `peer` (in as many REPLICATE messages as they need); resolves once the
   * peer has applied them all, or rejects when one message failed.
   * One promise for the lot, which is what lets a coordinator account a batch's quorum per peer
   * message rather than per write.
   */
  replicateMany(peer: string, entries: readonly VersionedEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const box = this.#outbox(peer);
    for (const e of entries) box.copies.push(e);
    return new Promise((resolve, reject) =>
      box.groups.push({
        end: box.copies.length,
        waiter: { resolve, reject },
        messages: 0,
        failed: false,
      }),
    );
  }

  /** `peer`'s copy of `key` (undefined when it has none), and whether its answer counts. */
  read(peer: string, key: string): Promise<PeerCopy> {
    const box = this.#outbox(peer);
    box.reads.push(key);
    return new Promise((resolve, reject) => box.readWaiters.push({ resolve, reject }));
  }

  #outbox(peer: string): Outbox {
    let box = this.#outboxes.get(peer);
    if (!box) {
      box = { copies: [], groups: [], reads: [], readWaiters: [] };
      this.#outboxes.set(peer, box);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => this.#flush());
    }
    return box;
  }

  #flush(): void {
    this.#scheduled = false;
    const boxes = [...this.#outboxes];
    this.#outboxes.clear();
    const encoded: Encoded[] = [];
    for (const [peer, box] of boxes) {
      let from = 0;
      let bytes = 0;
      let group = 0; // the first group with copies at or after `from`
      for (let i = 0; i < box.copies.length; i++) {
        const e = box.copies[i]!;
        bytes += e.key.length + (e.value?.length ?? 0) + 48;
        if (i + 1 - from === MAX_ENTRIES || bytes >= MAX_BYTES || i === box.copies.length - 1) {
          // The groups with copies in [from, i]: each is answered once all its messages are.
          const groups: CopyGroup[] = [];
          for (let g = group; g < box.groups.length; g++) {
            const candidate = box.groups[g]!;
            groups.push(candidate);
            candidate.messages++;
            if (candidate.end > i + 1) break;
            group = g + 1;
          }
          this.#sendCopies(peer, box.copies.slice(from, i + 1), groups, encoded);
          from = i + 1;
          bytes = 0;
        }
      }
      for (let i = 0; i < box.reads.length; i += MAX_ENTRIES) {
        const end = i + MAX_ENTRIES;
        this.#sendReads(peer, box.reads.slice(i, end), box.readWaiters.slice(i, end));
      }
    }
  }

  #sendCopies(
    peer: string,
    entries: VersionedEntry[],
    groups: readonly CopyGroup[],
    encoded: Encoded[],
  ): void {
    const { request, body } = encodingOf(entries, encoded);
    this.transport.request(peer, request, this.timeoutMs, body).then(
      () => {
        for (const g of groups) if (--g.messages === 0 && !g.failed) g.waiter.resolve();
      },
      (err: unknown) => {
        for (const g of groups) {
          g.messages--;
          if (g.failed) continue;
          g.failed = true;
          g.waiter.reject(err);
        }
      },
    );
  }

  #sendReads(peer: string, keys: string[], waiters: Array<Waiter<PeerCopy>>): void {
    this.transport.request(peer, { op: "REPLICA_GET", keys }, this.timeoutMs).then(
      (reply) => {
        const { entries, bootstrapping } = reply as ReplicaGetReply;
        const counts = bootstrapping !== true;
        waiters.forEach((w, i) => {
          const e = entries[i];
          if (e === undefined || e.key !== keys[i]) {
            w.reject(new Error(`peer ${peer} answered REPLICA_GET out of order`));
          } else {
            const copy = e.version === undefined ? undefined : copyOf({ ...e, version: e.version });
            w.resolve({ copy, counts });
          }
        });
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}

/**
 * A REPLICATE and its encoding, made once per flush for all the peers sent the very same copies
 * (the same entry objects, in order): every replica of a batch's keys is sent all of them, and
 * JSON-encoding a message of 1000 copies costs far more than comparing 1000 references.
 */
function encodingOf(entries: readonly VersionedEntry[], made: Encoded[]): Encoded {
  for (const m of made) if (sameEntries(m.entries, entries)) return m;
  // In columns: a replica parses them without an object per copy (ReplicateColumnsSchema).
  const request = { op: "REPLICATE" as const, columns: replicateColumnsOf(entries) };
  const encoded = { entries, request, body: JSON.stringify(request) };
  made.push(encoded);
  return encoded;
}

function sameEntries(a: readonly VersionedEntry[], b: readonly VersionedEntry[]): boolean {
  if (a.length !== b.length || a[0] !== b[0]) return false;
  for (let i = a.length - 1; i > 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** The store's copy of `key` → a REPLICATE entry (no value: a deletion). */
export function entryOf(key: string, copy: Versioned): VersionedEntry {
  if (copy.value === undefined) return { key, version: copy.version };
  return copy.expiresAt === undefined
    ? { key, value: copy.value, version: copy.version }
    : { key, value: copy.value, version: copy.version, expiresAt: copy.expiresAt };
}
