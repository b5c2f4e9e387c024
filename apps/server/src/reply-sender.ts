import type { Router } from "zeromq";
import type { Logger } from "./logger.js";
import { type PendingReply, ReplyQueue } from "./reply-queue.js";

/**
 * Everything a node sends back: one send at a time on its socket (zeromq.js allows no more),
 * replies to requests without an id in their order (ReplyQueue), and replies to requests with an
 * id as soon as each is ready, so one that waits (for the disk, for replicas) holds back no
 * other client.
 */
export class ReplySender {
  readonly #ordered: ReplyQueue;
  /** Replies to requests with ids, waiting to be sent whenever they are ready. */
  readonly #unordered = new Set<Promise<void>>();
  #lastSend: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Router,
    private readonly log: Logger,
  ) {
    this.#ordered = new ReplyQueue((frames) => this.#send(frames));
  }

  /**
   * Sends `reply` now or when it is ready. Resolves when the caller may receive again: at once
   * for a reply that waits, after the send for one ready now (the common path, no queueing), and
   * only once there is room when too many ordered replies wait (a slow disk pushes back).
   */
  deliver(reply: PendingReply, ordered: boolean): Promise<void> | undefined {
    if (!(reply instanceof Promise) && (!ordered || this.#ordered.idle)) return this.#send(reply);
    if (ordered) return this.#ordered.push(reply);
    const sending = Promise.resolve(reply).then((ready) => this.#send(ready));
    this.#unordered.add(sending);
    void sending.finally(() => this.#unordered.delete(sending));
    return undefined;
  }

  /** Resolves once every reply delivered so far has been sent (for a draining node). */
  async drained(): Promise<void> {
    await this.#ordered.drained();
    await Promise.all(this.#unordered);
    await this.#lastSend;
  }

  /** One send after any in progress; a failure (the peer is gone) is logged, never thrown. */
  #send(frames: Buffer[]): Promise<void> {
    const sent = this.#lastSend.then(async () => {
      try {
        await this.socket.send(frames);
      } catch (err) {
        this.log.warn({ err }, "reply not sent");
      }
    });
    this.#lastSend = sent;
    return sent;
  }
}
