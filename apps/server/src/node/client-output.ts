import type { Router } from "zeromq";
import type { Logger } from "../logger.js";
import type { ReplyFrames } from "../requests/answer.js";
import type { ClientOutputStats } from "../requests/stats.js";
import { HeldReplies, routingKey } from "./held-replies.js";

/** A peer whose queue stays full is retried after this, then twice as late each time, up to the max. */
const MIN_RETRY_MS = 1;
const MAX_RETRY_MS = 64;

type Outcome = "sent" | "full" | "gone";

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
  /** Replies waiting for clients whose queue was full, and the clients dropped. */
  readonly #held: HeldReplies;
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
    limitBytes: number,
    private readonly log: Logger,
  ) {
    this.#held = new HeldReplies(limitBytes, log);
  }

  get queuedBytes(): number {
    return this.#held.bytes;
  }

  get maxQueuedBytes(): number {
    return this.#held.maxBytes;
  }

  get dropped(): number {
    return this.#held.dropped;
  }

  /** Sends `frames` (routing id first) after every earlier send; never rejects. */
  send(frames: ReplyFrames): Promise<void> {
    if (this.#queued === 0 && this.#held.clear) {
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
    // Held like any other: it and everything after it to this client wait their turn.
    if (this.#outcome(err) === "full") this.#hold(frames);
    this.#queued--;
    return undefined;
  };

  /** True when `routingId`'s client was dropped: its requests get no answer. */
  isDropped(routingId: Buffer | undefined): boolean {
    return !this.#held.clear && routingId !== undefined && this.#held.isDropped(routingKey(routingId));
  }

  /**
   * Resolves once every send so far is done and nothing is held, or after `timeoutMs`, whatever
   * is first; then discards what is still held (for a closing node).
   */
  async settle(timeoutMs: number): Promise<void> {
    await this.#last;
    if (this.#held.clients > 0) {
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
    if (this.#held.clients > 0) {
      this.log.warn({ clients: this.#held.clients, bytes: this.#held.bytes }, "unread replies discarded");
      for (const id of [...this.#held.holding()]) this.#held.forget(id);
    }
  }

  async #send(frames: ReplyFrames): Promise<void> {
    if (!this.#held.clear) {
      const id = routingKey(frames[0]!);
      if (this.#held.isDropped(id)) return;
      if (this.#held.isHolding(id)) {
        this.#hold(frames);
        return;
      }
    }
    if ((await this.#try(frames)) === "full") this.#hold(frames);
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

  #hold(frames: ReplyFrames): void {
    this.#held.hold(routingKey(frames[0]!), frames);
    this.#scheduleRetry();
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
    for (const id of this.#held.holding()) {
      for (;;) {
        const next = this.#held.oldest(id);
        if (next === undefined) break;
        const outcome = await this.#try(next);
        if (outcome === "full") break;
        if (outcome === "gone") {
          this.#held.forget(id);
          break;
        }
        this.#held.sent(id);
        moved = true;
      }
    }
    if (this.#held.clients === 0) {
      this.#retryMs = MIN_RETRY_MS;
      this.#whenEmpty?.();
      return;
    }
    this.#retryMs = moved ? 0 : Math.min(Math.max(this.#retryMs * 2, MIN_RETRY_MS), MAX_RETRY_MS);
    this.#scheduleRetry();
  }
}
