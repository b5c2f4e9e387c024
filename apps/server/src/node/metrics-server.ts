import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/**
 * Serves a registry as Prometheus text on GET /metrics (HEAD too); every other path is a 404.
 * `close()` also drops idle keep-alive connections, so a scraper never holds a node open.
 */
export class MetricsServer {
  readonly #server: Server;

  constructor(
    private readonly registry: Registry,
    readonly host: string,
    readonly port: number,
  ) {
    this.#server = createServer((req, res) => {
      const path = req.url?.split("?", 1)[0];
      if (path !== "/metrics") {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found; try /metrics\n");
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
        return;
      }
      this.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": this.registry.contentType });
          res.end(req.method === "HEAD" ? undefined : text);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`${String(err)}\n`);
        },
      );
    });
  }

  /** Listens on host:port; rejects (EADDRINUSE, …) instead of emitting an unhandled error. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      this.#server.listen(this.port, this.host, () => {
        this.#server.off("error", onError);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
