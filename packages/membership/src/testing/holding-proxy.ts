import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ConsulConfig } from "../config.js";

/** Tests a request's path, decoded and without its query: `/v1/kv/zkv/placement`. */
type PathMatch = (path: string) => boolean;

/**
 * An HTTP proxy in front of a test's Consul that can hold one request until the test releases
 * it, and remembers the answers it passed on: a test puts a change in Consul between two reads a
 * component makes, at exactly that point, instead of hoping a race falls its way.
 */
export class HoldingProxy {
  readonly #server: Server;
  readonly #target: ConsulConfig;
  #hold: { match: PathMatch; held: () => void } | undefined;
  #release: (() => void) | undefined;
  readonly #answers: Array<{ path: string; body: string }> = [];

  private constructor(target: ConsulConfig) {
    this.#target = target;
    this.#server = createServer((req, res) => this.#take(req, res));
  }

  /** A proxy to `target` on a free loopback port. */
  static async start(target: ConsulConfig): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", () => resolve()));
    return proxy;
  }

  /** `target`'s config, pointed at the proxy (same token). */
  get config(): ConsulConfig {
    const { port } = this.#server.address() as AddressInfo;
    return { ...this.#target, host: "127.0.0.1", port, secure: false };
  }

  /**
   * Holds the next request whose path (decoded: `/v1/kv/zkv/placement`) matches; resolves once it
   * is held, rejects when none came within `timeoutMs`.
   */
  holdNext(match: PathMatch, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#hold = undefined;
        reject(new Error(`no request to hold came within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#hold = {
        match,
        held: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  /** Sends the held request on to Consul. */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Whether an answer to a request whose path matches, with a body matching `body`, went back. */
  answered(match: PathMatch, body: RegExp): boolean {
    return this.#answers.some((a) => match(a.path) && body.test(a.body));
  }

  async close(): Promise<void> {
    this.release();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #take(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    const forward = () => this.#forward(path, req, res);
    const hold = this.#hold;
    if (hold?.match(path)) {
      this.#hold = undefined;
      this.#release = forward;
      hold.held();
      return;
    }
    forward();
  }

  #forward(path: string, req: IncomingMessage, res: ServerResponse): void {
    const { host, port } = this.#target;
    const upstream = request(
      { host, port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          this.#answers.push({ path, body: body.toString() });
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }
}
