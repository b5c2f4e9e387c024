import type { IncomingMessage, ServerResponse } from "node:http";

/** A comment line this often keeps proxies and the browser from timing an idle stream out. */
const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events to every open page: the browser's EventSource reconnects by itself, and
 * one-way push is all the page needs (its actions are plain POSTs). A new subscriber first gets
 * `welcome()`'s events, so a page (or a reconnect) never waits for the next change to draw.
 */
export class SseChannel {
  readonly #clients = new Set<ServerResponse>();
  #keepalive: NodeJS.Timeout | undefined;

  constructor(private readonly welcome: () => ReadonlyArray<[event: string, data: unknown]>) {}

  /** Takes over `res` as an event stream until the page goes away or close() is called. */
  subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write("retry: 1000\n\n");
    for (const [event, data] of this.welcome()) res.write(frame(event, data));
    this.#clients.add(res);
    req.once("close", () => this.#clients.delete(res));
    if (!this.#keepalive) {
      this.#keepalive = setInterval(() => {
        for (const c of this.#clients) c.write(": keepalive\n\n");
      }, KEEPALIVE_MS);
      this.#keepalive.unref();
    }
  }

  /** Sends one event to every open page. */
  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const text = frame(event, data);
    for (const c of this.#clients) c.write(text);
  }

  /** Pages connected right now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Ends every stream; safe to call twice. */
  close(): void {
    clearInterval(this.#keepalive);
    this.#keepalive = undefined;
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}

/** One event; JSON has no raw newlines, so the data is always a single `data:` line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
