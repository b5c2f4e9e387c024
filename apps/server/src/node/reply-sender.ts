import type { PendingReply } from "../requests/answer.js";
import type { ClientOutput } from "./client-output.js";
import { ReplyQueue } from "./reply-queue.js";

/** Longest a closing node waits for slow clients to take the replies held for them. */
const SETTLE_MS = 1000;

/**
 * Everything a node sends back, through its ClientOutput (one send at a time, bounded per
 * client): replies to requests without an id in their order (ReplyQueue), and replies to
 * requests with an id as soon as each is ready, so one that waits (for the disk, for replicas)
 * holds back no other client.
 */
export class ReplySender {
  readonly #ordered: ReplyQueue;
  /** Replies to requests with ids, waiting to be sent whenever they are ready. */
  readonly #unordered = new Set<Promise<void>>();

  constructor(private readonly output: ClientOutput) {
    this.#ordered = new ReplyQueue((frames) => output.send(frames));
  }

  /**
   * Sends `reply` now or when it is ready. Resolves when the caller may receive again: at once
   * for a reply that waits, after the send for one ready now (the common path, no queueing), and
   * only once there is room when too many ordered replies wait (a slow disk pushes back).
   */
  deliver(reply: PendingReply, ordered: boolean): Promise<void> | undefined {
    if (!(reply instanceof Promise) && (!ordered || this.#ordered.idle)) return this.output.send(reply);
    if (ordered) return this.#ordered.push(reply);
    const sending = Promise.resolve(reply).then((ready) => this.output.send(ready));
    this.#unordered.add(sending);
    void sending.finally(() => this.#unordered.delete(sending));
    return undefined;
  }

  /**
   * Resolves once every reply delivered so far has been sent, or is still held for a client
   * that did not take it within SETTLE_MS and has been discarded (for a draining node).
   */
  async drained(): Promise<void> {
    await this.#ordered.drained();
    await Promise.all(this.#unordered);
    await this.output.settle(SETTLE_MS);
  }
}
