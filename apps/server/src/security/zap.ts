import { curveKeyToZ85 } from "@zkv/protocol";
import { type Context, Router } from "zeromq";
import type { Logger } from "../logger.js";

/** Where libzmq sends ZAP requests (RFC 27): an inproc endpoint in the socket's own context. */
export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
/** The ZAP domain a node's socket announces; the handler answers only for it. */
export const ZAP_DOMAIN = "zkv";
/** Distinct refused keys logged per handler; past this, refusals are only counted. */
const LOGGED_REFUSALS = 1000;

/** What the handler decided for one ZAP request. */
export interface ZapDecision {
  readonly reply: Buffer[];
  readonly admitted: boolean;
  /** The client's public key (Z85), when the request was a well-formed CURVE one. */
  readonly key?: string;
  readonly address: string;
}

/**
 * The answer to one ZAP request, as frames to send back: [routing id, empty, "1.0", request id,
 * status, text, user id, metadata]. Only CURVE requests of our domain whose client key `admit`
 * accepts get 200 (user id: the key); everything else, malformed requests included, gets 400.
 */
export function decideZap(frames: readonly Buffer[], admit: (key: string) => boolean): ZapDecision {
  const [routingId = Buffer.alloc(0), , version, requestId = Buffer.alloc(0), domain, address, , mechanism] =
    frames;
  const answer = (status: string, text: string, userId = "") => [
    routingId,
    Buffer.alloc(0),
    Buffer.from("1.0"),
    requestId,
    Buffer.from(status),
    Buffer.from(text),
    Buffer.from(userId),
    Buffer.alloc(0),
  ];
  const from = address?.toString() ?? "";
  if (version?.toString() !== "1.0")
    return { reply: answer("400", "bad ZAP version"), admitted: false, address: from };
  if (domain?.toString() !== ZAP_DOMAIN || mechanism?.toString() !== "CURVE")
    return { reply: answer("400", "CURVE in domain zkv only"), admitted: false, address: from };
  const key = frames[8] ? curveKeyToZ85(frames[8]) : undefined;
  if (key === undefined) return { reply: answer("400", "no client key"), admitted: false, address: from };
  if (!admit(key)) return { reply: answer("400", "key not allowed"), admitted: false, key, address: from };
  return { reply: answer("200", "OK", key), admitted: true, key, address: from };
}

/**
 * A node's ZAP handler: zeromq.js ships none, so this is the Router libzmq asks, over inproc,
 * whether a client that completed the CURVE handshake may talk to the node. It must live in the
 * node socket's own context (one context per CURVE node, so two nodes in one process never
 * fight over the endpoint) and be bound before the node socket accepts anyone.
 */
export class ZapHandler {
  readonly #socket: Router;
  readonly #logged = new Set<string>();
  #loop: Promise<void> | undefined;
  /** Handshakes refused since start. */
  refused = 0;

  constructor(
    context: Context,
    private readonly admit: (key: string) => boolean,
    private readonly log: Logger,
  ) {
    this.#socket = new Router({ context, linger: 0 });
  }

  async start(): Promise<void> {
    await this.#socket.bind(ZAP_ENDPOINT);
    this.#loop = this.#serve();
  }

  /** Stops answering; close the node socket first, or libzmq admits clients without asking. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#loop;
  }

  async #serve(): Promise<void> {
    for await (const frames of this.#socket) {
      const decision = decideZap(frames, this.admit);
      if (!decision.admitted) this.#refused(decision);
      try {
        await this.#socket.send(decision.reply);
      } catch (err) {
        if (!this.#socket.closed) this.log.error({ err }, "ZAP reply not sent");
      }
    }
  }

  #refused(decision: ZapDecision): void {
    this.refused++;
    const who = decision.key ?? "(no key)";
    if (this.#logged.has(who) || this.#logged.size >= LOGGED_REFUSALS) return;
    this.#logged.add(who);
    this.log.warn(
      { clientKey: who, address: decision.address },
      "CURVE client refused (not on the allow-list)",
    );
  }
}
