import { type BatchColumnsReply, type ColumnError, ErrorCode, errorFromReply, ZkvError } from "@zkv/protocol";
import type { ClusterView } from "../cluster/cluster-view.js";
import { BulkMessages, RETRY_SINGLY } from "./bulk-messages.js";

/**
 * Most entries per putMany/getMany message (a node takes MAX_BATCH_OPS). Per message each side
 * pays a receive, a parse, a reply and its promise: 4000 rather than 1000 took ~0.1 µs per op
 * off the node's bulk PUT and ~0.13 off its bulk GET (16-byte keys, 100-byte values).
 */
const BULK_ENTRIES = 4000;
/**
 * Rough cap on a putMany/getMany message, and on a getMany reply, in UTF-16 units of keys and
 * values (the auto-batcher's): well inside the node's maxMessageBytes whatever the values weigh.
 */
const BULK_UNITS = 1024 * 1024;
/**
 * What one slot of the `window` holds: 1000 entries, what a message held before messages grew,
 * so a window keeps as many entries in flight as it did (a message of 4000 takes four slots).
 * With replication every entry in flight waits for its replicas' acks: 16 messages of 4000 put
 * 4× the work in the replicas' queues and bulk loads failed with QUORUM_TIMEOUT under load.
 */
const ENTRIES_PER_SLOT = 1000;
/** Units a getMany reply's value is taken to weigh until replies tell: ~1000 keys a message. */
const FIRST_VALUE_GUESS = 1024;
/** getEach/getMany's sink: a key's value (undefined when it does not exist) and its position. */
export type EntrySink = (key: string, value: string | undefined, index: number) => void;

/**
 * One owner's operations waiting to go: their keys, and each PUT's value or each GET's position;
 * `units`, what the message (for a GET, its reply) is expected to weigh.
 */
interface Chunk {
  readonly keys: string[];
  readonly values: string[];
  readonly positions: number[];
  units: number;
}

/**
 * The bulk engine behind putMany/getMany: keys grouped by owner into BATCH messages of up to
 * BULK_ENTRIES entries and ~BULK_UNITS in columns (one array of keys, one of values: no object
 * per entry, on either side of the wire; a GET's values weighed by those read so far),
 * sent straight to each node, at most `window` messages of 1000 entries' worth in flight (a
 * message of 4000 counts four), so memory stays bounded for any input size and no per-op
 * promise is made. A node acknowledges a message whose every entry
 * succeeded with one small reply. Entries a node redirects (a rebalance in progress), and every
 * entry of a message that failed as a whole, are retried one by one with routing (BulkMessages).
 * `finish()` rejects with the first failure once all have settled.
 */
export class BulkRun {
  readonly #messages: BulkMessages;
  readonly #pending = new Map<string, Chunk>();
  /** getMany: the units of the values read so far and their number, for #valueGuess. */
  #valueUnits = 0;
  #valuesRead = 0;
  #valueGuess = FIRST_VALUE_GUESS;

  /**
   * @param letter P (putMany: each entry a key and value) or G (getEach/getMany: each key's value
   *   goes to `found` with the key's position, undefined when the key does not exist).
   */
  constructor(
    private readonly cluster: ClusterView,
    private readonly letter: "P" | "G",
    window: number,
    onProgress?: (done: number) => void,
    private readonly found?: EntrySink,
  ) {
    this.#messages = new BulkMessages(cluster, window * ENTRIES_PER_SLOT, onProgress);
  }

  /**
   * Adds one entry. Returns a promise only when the entry filled a message and the window is full:
   * wait for it before adding more (no promise per entry otherwise).
   */
  add(key: string, value: string, position: number): Promise<void> | undefined {
    const owner = this.cluster.ownerOf(key);
    let chunk = this.#pending.get(owner);
    if (chunk === undefined) {
      chunk = { keys: [], values: [], positions: [], units: 0 };
      this.#pending.set(owner, chunk);
    }
    chunk.keys.push(key);
    if (this.letter === "P") {
      chunk.values.push(value);
      chunk.units += key.length + value.length;
    } else {
      chunk.positions.push(position);
      chunk.units += key.length + this.#valueGuess;
    }
    if (chunk.keys.length < BULK_ENTRIES && chunk.units < BULK_UNITS) return undefined;
    this.#pending.delete(owner);
    return this.#send(owner, chunk);
  }

  /**
   * Sends what is left, waits for every message and retry, and rejects with the first failure.
   * A read run that has failed sends nothing more: its caller gets the failure, not more values.
   */
  async finish(): Promise<void> {
    if (this.letter === "P" || !this.failed)
      for (const [owner, chunk] of this.#pending) await this.#send(owner, chunk);
    this.#pending.clear();
    await this.#messages.finish();
  }

  #send(owner: string, chunk: Chunk): Promise<void> {
    const n = chunk.keys.length;
    const columns = {
      ops: this.letter.repeat(n),
      keys: chunk.keys,
      ...(this.letter === "P" ? { values: chunk.values } : {}),
    };
    // At least a slot's worth, so no more than `window` messages are in flight either.
    const slots = Math.max(n, ENTRIES_PER_SLOT);
    return this.#messages.send(
      owner,
      columns,
      n,
      slots,
      (reply) => this.#settle(chunk, reply),
      (j) => this.#retry(chunk, j),
    );
  }

  /** True once an entry failed for good (or the sink threw): finish() will reject. */
  get failed(): boolean {
    return this.#messages.failed;
  }

  /**
   * Takes a node's answer to one chunk: the values of GETs, and any entry that failed. The sink
   * throwing fails the run rather than the message (whose entries would then be read again).
   */
  #settle(chunk: Chunk, reply: BatchColumnsReply): void {
    try {
      if (!this.#take(chunk, reply)) {
        this.#messages.fail(
          new ZkvError(ErrorCode.INTERNAL, "BATCH reply does not fit the batch it answers"),
        );
      }
    } catch (err) {
      this.#messages.fail(err);
    }
  }

  /**
   * #settle's work; false when the reply does not fit the chunk (a node that lies, or a bug),
   * found out before any value reaches the sink. A GET's null is "not found" unless an error
   * names its entry (retried alone, or failing the run), so every key gets exactly one answer.
   */
  #take(chunk: Chunk, reply: BatchColumnsReply): boolean {
    const n = chunk.keys.length;
    if (reply.done !== n) return false;
    const values = this.letter === "G" ? reply.values : undefined;
    if (this.letter === "G" && !fitsValues(values, n)) return false;
    const errors = reply.errors ?? [];
    if (!errors.every((entry) => fitsError(entry, n))) return false;
    let unanswered: Set<number> | undefined;
    for (const { at, error } of errors as ColumnError[]) {
      if (error.code === ErrorCode.NOT_FOUND) continue;
      unanswered ??= new Set();
      unanswered.add(at);
      if (RETRY_SINGLY.has(error.code)) this.#retry(chunk, at);
      else this.#messages.fail(errorFromReply({ error }));
    }
    if (values !== undefined) this.#deliver(chunk, values as Array<string | null>, unanswered);
    return true;
  }

  /** A GET chunk's values to the sink, but those of the `unanswered` entries. */
  #deliver(chunk: Chunk, values: ReadonlyArray<string | null>, unanswered: Set<number> | undefined): void {
    let units = 0;
    let read = 0;
    for (let j = 0; j < values.length; j++) {
      const value = values[j];
      if (unanswered?.has(j)) continue;
      if (typeof value === "string") {
        this.found!(chunk.keys[j]!, value, chunk.positions[j]!);
        units += value.length;
        read++;
      } else this.found!(chunk.keys[j]!, undefined, chunk.positions[j]!);
    }
    this.#weigh(units, read);
  }

  /** Values read: the next GETs' replies are expected to weigh what these did on average. */
  #weigh(units: number, read: number): void {
    if (read === 0) return;
    this.#valueUnits += units;
    this.#valuesRead += read;
    this.#valueGuess = Math.max(1, this.#valueUnits / this.#valuesRead);
  }

  /** A retried GET's answer to the sink; the sink throwing fails the run, as in #settle. */
  #give(key: string, value: string | undefined, position: number): void {
    try {
      this.found!(key, value, position);
    } catch (err) {
      this.#messages.fail(err);
    }
  }

  /** Entry `j` of `chunk` again, alone, through the routing that follows redirects. */
  #retry(chunk: Chunk, j: number): void {
    const key = chunk.keys[j]!;
    if (this.letter === "P") this.#messages.retry({ op: "PUT", key, value: chunk.values[j]! }, () => {});
    else
      this.#messages.retry({ op: "GET_ONE", key }, (reply) =>
        this.#give(key, (reply as { value?: string } | undefined)?.value, chunk.positions[j]!),
      );
  }
}

/** A GET reply's `values`: one string or null per entry. */
function fitsValues(values: unknown, n: number): boolean {
  if (!Array.isArray(values) || values.length !== n) return false;
  for (let j = 0; j < n; j++) {
    const value: unknown = values[j];
    if (typeof value !== "string" && value !== null) return false;
  }
  return true;
}

/** One entry of a reply's `errors`: the index of an entry of the chunk, and an error with a code. */
function fitsError(entry: unknown, n: number): boolean {
  const { at, error } = (entry ?? {}) as { at?: unknown; error?: { code?: unknown } };
  return Number.isInteger(at) && (at as number) >= 0 && (at as number) < n && typeof error?.code === "string";
}
