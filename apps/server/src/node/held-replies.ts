import type { Logger } from "../logger.js";
import type { ReplyFrames } from "../requests/answer.js";

/**
 * Dropped routing ids remembered, oldest forgotten first. libzmq never reuses an anonymous
 * routing id within a socket's life, so this only bounds the memory of many drops.
 */
const MAX_DROPPED = 10_000;

/** Replies held for one client, oldest (at `head`) first, and their bytes. */
interface Backlog {
  replies: ReplyFrames[];
  /** Index of the oldest reply not yet sent: shift() would make draining a long backlog O(n²). */
  head: number;
  bytes: number;
}

/** What a sent reply's slot holds until the backlog is compacted (so its buffers can be freed). */
const EMPTY: ReplyFrames = [];

/**
 * The replies a node holds for clients whose ZeroMQ queue was full, per client and in order,
 * bounded in bytes like Redis' client-output-buffer-limit: held bytes past `limitBytes` drop the
 * client (its held replies discarded, its id remembered so its later requests are ignored).
 * Clients are named by their routing id as a string (see routingKey). What to send and when is
 * ClientOutput's; this is the bookkeeping.
 */
export class HeldReplies {
  readonly #backlogs = new Map<string, Backlog>();
  readonly #droppedIds = new Set<string>();
  #bytes = 0;
  /** The most one client has had held at once. */
  maxBytes = 0;
  /** Clients dropped so far. */
  dropped = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly log: Logger,
  ) {}

  /** Bytes held for every client. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Clients with replies held. */
  get clients(): number {
    return this.#backlogs.size;
  }

  /** True when nothing is held and nobody was dropped: a reply may go straight to the socket. */
  get clear(): boolean {
    return this.#backlogs.size === 0 && this.#droppedIds.size === 0;
  }

  isDropped(id: string): boolean {
    return this.#droppedIds.has(id);
  }

  /** True when `id` has replies held, which a new reply to it must wait behind. */
  isHolding(id: string): boolean {
    return this.#backlogs.has(id);
  }

  /** Holds `frames` after whatever `id` has held; drops the client when that is past the limit. */
  hold(id: string, frames: ReplyFrames): void {
    let backlog = this.#backlogs.get(id);
    if (backlog === undefined) {
      backlog = { replies: [], head: 0, bytes: 0 };
      this.#backlogs.set(id, backlog);
    }
    const size = sizeOf(frames);
    if (backlog.bytes + size > this.limitBytes) {
      this.#drop(id, backlog, size);
      return;
    }
    backlog.replies.push(frames);
    backlog.bytes += size;
    this.#bytes += size;
    if (backlog.bytes > this.maxBytes) this.maxBytes = backlog.bytes;
  }

  /** Ids of the clients with replies held, in the order they were first held. */
  holding(): IterableIterator<string> {
    return this.#backlogs.keys();
  }

  /** The oldest reply held for `id`; undefined (and `id` no longer held) once it has none. */
  oldest(id: string): ReplyFrames | undefined {
    const backlog = this.#backlogs.get(id);
    const next = backlog?.replies[backlog.head];
    if (next === undefined) this.#backlogs.delete(id);
    return next;
  }

  /** The oldest reply held for `id` was sent: let go of it. */
  sent(id: string): void {
    const backlog = this.#backlogs.get(id);
    if (!backlog) return;
    const frames = backlog.replies[backlog.head]!;
    backlog.replies[backlog.head++] = EMPTY;
    if (backlog.head > 1024 && backlog.head * 2 > backlog.replies.length) {
      backlog.replies = backlog.replies.slice(backlog.head);
      backlog.head = 0;
    }
    const size = sizeOf(frames);
    backlog.bytes -= size;
    this.#bytes -= size;
  }

  /** Discards what `id` has held (it left, or the node is closing). */
  forget(id: string): void {
    const backlog = this.#backlogs.get(id);
    if (!backlog) return;
    this.#bytes -= backlog.bytes;
    this.#backlogs.delete(id);
  }

  #drop(id: string, backlog: Backlog, refused: number): void {
    this.log.warn(
      {
        client: Buffer.from(id, "latin1").toString("hex"),
        unreadBytes: backlog.bytes + refused,
        limitBytes: this.limitBytes,
      },
      "client dropped: it left more than --client-output-limit of replies unread; its requests are now ignored",
    );
    this.forget(id);
    this.#droppedIds.add(id);
    if (this.#droppedIds.size > MAX_DROPPED) this.#droppedIds.delete(this.#droppedIds.values().next().value!);
    this.dropped++;
  }
}

/**
 * A routing id as a Map key: latin1 maps each byte to one char, so distinct ids stay distinct. A
 * reply's first frame is always the routing id its request came with, a Buffer.
 */
export function routingKey(routingId: Buffer | string): string {
  return (routingId as Buffer).toString("latin1");
}

function sizeOf(frames: ReplyFrames): number {
  let n = 0;
  for (const f of frames) n += typeof f === "string" ? Buffer.byteLength(f) : f.length;
  return n;
}
