import type { PendingReply, ReplyFrames } from "../requests/answer.js";

/** Replies waiting beyond which the serve loop stops receiving until some have left. */
export const DEFAULT_MAX_PENDING = 10_000;

/**
 * Sends a socket's replies in the order their requests arrived, whether each is ready at once or
 * only later. Order matters: a DEALER that sends no request ids matches replies to requests by
 * position alone. A reply that waits holds back every reply behind it, and the serve loop keeps
 * receiving meanwhile, which is what lets many writes share one commit (group commit). One pump
 * sends at a time, since zeromq.js allows one send in flight per socket.
 */
export class ReplyQueue {
  readonly #queue: PendingReply[] = [];
  #pumping: Promise<void> | undefined;
  #room: (() => void) | undefined;

  /**
   * @param send sends one reply; must not reject (a failed send is the caller's to log).
   * @param maxPending queue length at which `push` asks the caller to wait.
   */
  constructor(
    private readonly send: (frames: ReplyFrames) => Promise<void>,
    private readonly maxPending = DEFAULT_MAX_PENDING,
  ) {}

  /** True when nothing is queued or being sent: the caller may send a ready reply itself. */
  get idle(): boolean {
    return this.#pumping === undefined;
  }

  get length(): number {
    return this.#queue.length;
  }

  /**
   * Queues a reply behind the ones before it. The promise, if any, must not reject (make failures
   * error replies first). Returns a promise when the queue is full: wait for it before receiving
   * more, so a slow disk pushes back on clients instead of growing the queue without bound.
   */
  push(reply: PendingReply): Promise<void> | undefined {
    this.#queue.push(reply);
    this.#pumping ??= this.#pump();
    if (this.#queue.length < this.maxPending) return undefined;
    return new Promise((resolve) => {
      this.#room = resolve;
    });
  }

  /** Resolves once every queued reply has been sent (for a draining node, before it closes). */
  drained(): Promise<void> {
    return this.#pumping ?? Promise.resolve();
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const frames = await this.#queue[0]!;
      this.#queue.shift();
      await this.send(frames);
      if (this.#room && this.#queue.length < this.maxPending) {
        const wake = this.#room;
        this.#room = undefined;
        wake();
      }
    }
    this.#pumping = undefined;
  }
}
