import { freePorts } from "@zkv/membership/testing";
import {
  decodeReply,
  type Limits,
  type Reply,
  toErrorReply,
  ZkvError,
  type Request as ZkvRequest,
} from "@zkv/protocol";
import { expect } from "vitest";
import { Dealer, Request } from "zeromq";
import { createLogger } from "../src/logger.js";
import { type NodeOptions, ZkvNode } from "../src/node/node.js";
import { type HandlerContext, handleRequest } from "../src/requests/handler.js";

/** Longest a test waits for any one reply before failing (instead of hanging until the test timeout). */
export const REPLY_TIMEOUT_MS = 5000;

export const EMPTY = Buffer.alloc(0);

/** Text → one frame. */
export function frame(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/**
 * Owns every node and socket a test creates, so `cleanup()` in afterEach/afterAll closes them all
 * even when the test failed halfway.
 */
export class Harness {
  readonly #nodes: ZkvNode[] = [];
  readonly #sockets: (Dealer | Request)[] = [];

  /** A started node on a free port of 127.0.0.1, without Consul (unless `extra` says so). */
  async node(limits?: Limits, extra: Partial<NodeOptions> = {}): Promise<ZkvNode> {
    const [port] = (await freePorts(1)) as [number];
    const node = new ZkvNode({
      nodeId: `test-${port}`,
      host: "127.0.0.1",
      port,
      logger: createLogger("silent", {}),
      ...(limits === undefined ? {} : { limits }),
      ...extra,
    });
    this.#nodes.push(node);
    await node.start();
    return node;
  }

  /**
   * A DEALER connected to `node`; receive() fails after REPLY_TIMEOUT_MS (or `options`'
   * receiveTimeout) rather than hanging. `options` adds socket options, e.g. CURVE keys.
   */
  dealer(node: ZkvNode, options: ConstructorParameters<typeof Dealer>[0] = {}): Dealer {
    const socket = new Dealer({
      linger: 0,
      receiveTimeout: REPLY_TIMEOUT_MS,
      sendHighWaterMark: 0,
      ...options,
    });
    this.#sockets.push(socket);
    socket.connect(node.endpoint);
    return socket;
  }

  /** A plain REQ socket connected to `node`, as the simplest client would use. */
  req(node: ZkvNode): Request {
    const socket = new Request({ linger: 0, receiveTimeout: REPLY_TIMEOUT_MS });
    this.#sockets.push(socket);
    socket.connect(node.endpoint);
    return socket;
  }

  async cleanup(): Promise<void> {
    for (const socket of this.#sockets.splice(0)) socket.close();
    await Promise.all(this.#nodes.splice(0).map((n) => n.close()));
  }
}

/** The last frame of a reply message (what follows the envelope) as text. */
export function replyText(frames: Buffer[]): string {
  return frames[frames.length - 1]!.toString("utf8");
}

/** Sends one request as [empty, json] over a DEALER and returns the decoded reply. */
export async function call(dealer: Dealer, request: object, limits?: Limits): Promise<Reply> {
  await dealer.send([EMPTY, frame(JSON.stringify(request))]);
  const frames = await dealer.receive();
  expectEnvelope(frames);
  return decodeReply(frames[1]!, undefined, limits);
}

/** A DEALER that sent [empty, body] gets exactly [empty, reply] back. */
export function expectEnvelope(frames: Buffer[]): void {
  if (frames.length !== 2 || frames[0]!.length !== 0) {
    throw new Error(
      `expected [empty, reply], got ${frames.length} frames: ${frames.map(String).join(" | ")}`,
    );
  }
}

/** Runs `fn`, which must throw a ZkvError, and returns that error. */
export function thrown(fn: () => unknown): ZkvError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZkvError);
    return err as ZkvError;
  }
  throw new Error("expected a ZkvError to be thrown");
}

/** UTF-8 bytes of every key and value in a model, as `Store.bytes` counts them. */
export function bytesOf(model: ReadonlyMap<string, string>): number {
  let n = 0;
  for (const [k, v] of model) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** The reply a client would get from handleNow, thrown errors included (as the node's answer path does). */
export function answerNow(request: ZkvRequest, ctx: HandlerContext): Reply {
  try {
    return handleNow(request, ctx);
  } catch (err) {
    return toErrorReply(err);
  }
}

/** handleRequest on a node without replication, whose replies are never deferred. */
export function handleNow(request: ZkvRequest, ctx: HandlerContext): Reply {
  const reply = handleRequest(request, ctx);
  if (reply instanceof Promise) throw new Error(`${request.op} was answered later, not at once`);
  return reply;
}
