import type { Router } from "zeromq";
import type { Logger } from "../logger.js";
import type { ReplyFrames } from "../requests/answer.js";
import type { ClientOutputStats } from "../requests/stats.js";

/** A peer whose queue stays full is retried after this, then twice as late each time, up to the max. */
const MIN_RETRY_MS = 1;
const MAX_RETRY_MS = 64;
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

type Outcome = "sent" | "full" | "gone";

/** What a sent reply's slot holds until the backlog is compacted (so its buffers can be freed). */
const EMPTY: ReplyFrames = [];

/**
 * Every send of a node's ROUTER, and what each client has not taken yet, bounded in bytes like
 * Redis' client-output-buffer-limit.
 *
 * The ROUTER runs with `mandatory` and a send timeout of 0: a send to a client whose ZeroMQ queue
 * (`sendHighWaterMark` messages) is full fails at once with EAGAIN instead of being dropped
 * silently or stalling every other client's sends. That reply, and every later one to the same
 * client (order is kept per client), is held here; held bytes past `limitBytes` drop the client:
 * its held replies are discarded and its later requests ignored (`isDropped`). ZeroMQ gives a
 * ROUTER no way to close one peer's connection, and a client that matches replies by position
 * must not get a reply after lost ones, so silence is the only coherent answer; the client sees
 * timeouts and must connect again (a new connection has a new routing id). A client that left
 * (EHOSTUNREACH) has its held replies discarded at once.
 *
 * libzmq tells a ROUTER nothing when one peer's queue drains, so held replies are retried: right
 * after pending I/O while they move, then after MIN_RETRY_MS, doubling up to MAX_RETRY_MS, while
 * they do not.
 */
export class ClientOutput implements ClientOutputStats {
  readonly #backlogs = new Map<string, Backlog>();
  readonly #droppedIds = new Set<string>();
  #queuedBytes = 0;
  maxQueuedBytes = 0;
  dropped = 0;
  /** The last send or retry: zeromq.js allows one send at a time, and order per client matters. */
  #last: Promise<void> = Promise.resolve();
  #retry: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #retryMs = MIN_RETRY_MS;
  #whenEmpty: (() => void) | undefined;

  /**
   * @param socket a ROUTER with `mandatory: true` and `sendTimeout: 0` (see routerOptions).
   * @param limitBytes the most one client may have held before it is dropped.
   */
  constructor(
    private readonly socket: Router,
    private readonly limitBytes: number,
    private readonly log: Logger,
  ) {}

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Sends `frames` (routing id first) after every earlier send; never rejects. */
  send(frames: ReplyFrames): Promise<void> {
    if (this.#queued === 0 && this.#backlogs.size === 0 && this.#droppedIds.size === 0) {
      // Nothing before it and nobody held back: straight to the socket, with no promise chain of
      // our own (the common case, once per reply).
      this.#queued++;
      this.#inFlight = frames;
      const sent = this.socket.send(frames).then(this.#sentAtOnce, this.#failedAtOnce);
      this.#last = sent;
      return sent;
    }
    this.#queued++;
    const sent = this.#last.then(() => this.#send(frames)).finally(this.#settled);
    this.#last = sent;
    return sent;
  }

  /** Sends queued or running (fast or chained); the fast path is open only when none is. */
  #queued = 0;
  /** The frames of the send made on the fast path, for its failure handler. */
  #inFlight: ReplyFrames | undefined;
  readonly #settled = () => {
    this.#queued--;
  };
  readonly #sentAtOnce = () => {
    this.#queued--;
    this.#inFlight = undefined;
  };
  readonly #failedAtOnce = (err: unknown): Promise<void> | undefined => {
    const frames = this.#inFlight!;
    this.#inFlight = undefined;
    if (this.#outcome(err) === "full") {
      // Held like any other: it and everything after it to this client wait their turn.
      const backlog: Backlog = { replies: [], head: 0, bytes: 0 };
      this.#backlogs.set(key(frames[0]!), backlog);
      this.#hold(key(frames[0]!), backlog, frames);
    }
    this.#queued--;
    return undefined;
  };

  /** True when `routingId`'s client was dropped: its requests get no answer. */
  isDropped(routingId: Buffer | undefined): boolean {
    return this.#droppedIds.size > 0 && routingId !== undefined && this.#droppedIds.has(key(routingId));
  }

  /**
   * Resolves once every send so far is done and nothing is held, or after `timeoutMs`, whatever
   * is first; then discards what is still held (for a closing node).
   */
  async settle(timeoutMs: number): Promise<void> {
    await this.#last;
    if (this.#backlogs.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#whenEmpty = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#whenEmpty = undefined;
    }
    clearTimeout(this.#retry as NodeJS.Timeout);
    clearImmediate(this.#retry as NodeJS.Immediate);
    this.#retry = undefined;
    if (this.#backlogs.size > 0) {
      this.log.warn({ clients: this.#backlogs.size, bytes: this.#queuedBytes }, "unread replies discarded");
      for (const [id, backlog] of this.#backlogs) this.#forget(id, backlog);
    }
  }

  async #send(frames: ReplyFrames): Promise<void> {
    if (this.#backlogs.size > 0 || this.#droppedIds.size > 0) {
      const id = key(frames[0]!);
      if (this.#droppedIds.has(id)) return;
      const backlog = this.#backlogs.get(id);
      if (backlog) {
        this.#hold(id, backlog, frames);
        return;
      }
    }
    if ((await this.#try(frames)) !== "full") return;
    const id = key(frames[0]!);
    const backlog: Backlog = { replies: [], head: 0, bytes: 0 };
    this.#backlogs.set(id, backlog);
    this.#hold(id, backlog, frames);
  }

  async #try(frames: ReplyFrames): Promise<Outcome> {
    try {
      await this.socket.send(frames);
      return "sent";
    } catch (err) {
      return this.#outcome(err);
    }
  }

  /** What a failed send means: the client's queue is full, or it is gone. */
  #outcome(err: unknown): Outcome {
    const code = (err as { code?: unknown }).code;
    if (code === "EAGAIN") return "full";
    // EHOSTUNREACH: the client has left, which is no news. Anything else is.
    if (code !== "EHOSTUNREACH") this.log.warn({ err }, "reply not sent");
    return "gone";
  }

  #hold(id: string, backlog: Backlog, frames: ReplyFrames): void {
    const size = sizeOf(frames);
    if (backlog.bytes + size > this.limitBytes) {
      this.#drop(id, backlog, size);
      return;
    }
    backlog.replies.push(frames);
    backlog.bytes += size;
    this.#queuedBytes += size;
    if (backlog.bytes > this.maxQueuedBytes) this.maxQueuedBytes = backlog.bytes;
    this.#scheduleRetry();
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
    this.#forget(id, backlog);
    this.#droppedIds.add(id);
    if (this.#droppedIds.size > MAX_DROPPED) this.#droppedIds.delete(this.#droppedIds.values().next().value!);
    this.dropped++;
  }

  #forget(id: string, backlog: Backlog): void {
    this.#queuedBytes -= backlog.bytes;
    this.#backlogs.delete(id);
  }

  #scheduleRetry(): void {
    if (this.#retry !== undefined) return;
    const flush = () => {
      this.#last = this.#last.then(() => this.#flush());
    };
    // While replies move, the next try comes right after pending I/O; a stuck client waits.
    this.#retry = this.#retryMs === 0 ? setImmediate(flush) : setTimeout(flush, this.#retryMs);
  }

  /** Sends what each held client now takes, oldest first, until its queue is full again. */
  async #flush(): Promise<void> {
    this.#retry = undefined;
    let moved = false;
    for (const [id, backlog] of this.#backlogs) {
      for (;;) {
        const next = backlog.replies[backlog.head];
        if (next === undefined) {
          this.#backlogs.delete(id);
          break;
        }
        const outcome = await this.#try(next);
        if (outcome === "full") break;
        if (outcome === "gone") {
          this.#forget(id, backlog);
          break;
        }
        backlog.replies[backlog.head++] = EMPTY;
        if (backlog.head > 1024 && backlog.head * 2 > backlog.replies.length) {
          backlog.replies = backlog.replies.slice(backlog.head);
          backlog.head = 0;
        }
        const size = sizeOf(next);
        backlog.bytes -= size;
        this.#queuedBytes -= size;
        moved = true;
      }
    }
    if (this.#backlogs.size === 0) {
      this.#retryMs = MIN_RETRY_MS;
      this.#whenEmpty?.();
      return;
    }
    this.#retryMs = moved ? 0 : Math.min(Math.max(this.#retryMs * 2, MIN_RETRY_MS), MAX_RETRY_MS);
    this.#scheduleRetry();
  }
}

/**
 * A routing id as a Map key: latin1 maps each byte to one char, so distinct ids stay distinct. A
 * reply's first frame is always the routing id its request came with, a Buffer.
 */
function key(routingId: Buffer | string): string {
  return (routingId as Buffer).toString("latin1");
}

function sizeOf(frames: ReplyFrames): number {
  let n = 0;
  for (const f of frames) n += typeof f === "string" ? Buffer.byteLength(f) : f.length;
  return n;
}
