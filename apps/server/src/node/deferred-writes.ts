import type { Logger } from "../logger.js";

/**
 * Work a request's handler left for right after its reply is handed to the socket
 * (HandlerContext.afterReply): the inserts of a BATCH of plain PUTs, answered first. The serve
 * loop runs it in the same turn as the handler, before it receives again, so no request and no
 * timer can see the store without them.
 *
 * The work was acknowledged already. If it throws (only an allocation failure could), the node
 * must not go on serving without it: the error is rethrown outside every handler, which stops
 * the process as any uncaught exception does. A durable store's log holds those writes, so a
 * restart brings them back; an in-memory node had no way to keep them across a crash anyway.
 */
export class DeferredWrites {
  #work: Array<() => void> = [];

  constructor(private readonly log: Logger) {}

  /** Takes work to run at the next `run()`. */
  readonly defer = (work: () => void): void => {
    this.#work.push(work);
  };

  /** Runs what was deferred, in order. */
  run(): void {
    if (this.#work.length === 0) return;
    const work = this.#work;
    this.#work = [];
    for (const w of work) {
      try {
        w();
      } catch (err) {
        this.log.fatal({ err }, "acknowledged writes could not be applied; stopping");
        process.nextTick(() => {
          throw err;
        });
        return;
      }
    }
  }
}
