import { DEFAULT_LIMITS, ErrorCode, type Reply, type Request, ZkvError } from "@zkv/protocol";
import { Dealer } from "zeromq";
import { DeadlineTimer } from "./deadline-timer.js";
import { type Pending, settleReply } from "./reply-match.js";
import { requestFrame } from "./request-frame.js";
import type { NodeSecurity } from "./security.js";

/** A request without its id: the connection assigns one. */
export type OutgoingRequest = Request extends infer R
  ? R extends { id?: unknown }
    ? Omit<R, "id">
    : never
  : never;

/**
 * One DEALER socket to one node with many requests in flight, matched to replies by request id.
 * A request is one frame, its JSON as a string, with no empty delimiter frame before it (the
 * node then answers with one frame too; see requestFrame for why a string). zeromq.js allows one
 * send at a time per socket, so sends go through a queue. `immediate` keeps
 * ZeroMQ from queueing messages for a peer that is not connected: a request to a node that is down
 * fails at once with NODE_UNAVAILABLE instead of waiting for its timeout. With CURVE, a node that
 * refuses this client's key makes requests fail at once with AUTH_FAILED.
 */
export class NodeConnection {
  readonly #socket: Dealer;
  readonly #pending = new Map<number, Pending>();
  /** Requests waiting for the socket, with their ids (to fail one whose send fails). */
  readonly #sendQueue: Array<{ readonly id: number; readonly frame: string }> = [];
  /** The id whose send is in flight (zeromq.js allows one at a time), 0 when none is. */
  #sendingId = 0;
  /** close() waits for the send in flight through this. */
  #sendsDone: (() => void) | undefined;
  /** One timer for every request's deadline. */
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));
  /** The receive loop: close() waits for it to end. */
  readonly #receiving: Promise<void>;
  #closing: Promise<void> | undefined;
  #nextId = 1;
  #connected = false;
  #closed = false;
  #connectWaiters: Array<(connected: boolean) => void> = [];
  /** Why the last handshake failed, while no connection is up. */
  #authFailure: string | undefined;

  constructor(
    readonly nodeId: string,
    readonly endpoint: string,
    private readonly timeoutMs: number,
    readonly security: NodeSecurity = { kind: "plaintext" },
  ) {
    this.#socket = new Dealer({
      linger: 0,
      immediate: true,
      sendTimeout: 0,
      reconnectInterval: 100,
      reconnectMaxInterval: 2000,
      maxMessageSize: DEFAULT_LIMITS.maxMessageBytes * 8,
      heartbeatInterval: 2000,
      heartbeatTimeout: 6000,
      sendHighWaterMark: 100_000,
      receiveHighWaterMark: 100_000,
      handshakeInterval: 10_000,
      ...(security.kind === "curve"
        ? {
            curveServerKey: security.serverKey,
            curvePublicKey: security.identity.publicKey,
            curveSecretKey: security.identity.secretKey,
          }
        : {}),
    });
    // With `immediate`, a pipe takes messages only after the ZMTP handshake, not at TCP connect.
    this.#socket.events.on("handshake", () => this.#onConnect());
    this.#socket.events.on("handshake:error:auth", (e) =>
      this.#onHandshakeFailure(`the node refused this client's CURVE key (ZAP ${e.error.status})`),
    );
    this.#socket.events.on("handshake:error:protocol", () =>
      this.#onHandshakeFailure(
        this.security.kind === "curve"
          ? "the CURVE handshake failed (does the node run CURVE with this key?)"
          : "the handshake failed: the node requires CURVE",
      ),
    );
    this.#socket.events.on("disconnect", () => this.#onDisconnect());
    this.#socket.connect(endpoint);
    this.#receiving = this.#receiveLoop();
  }

  /** True while ZeroMQ holds a live connection to the node. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Resolves true once connected, false if `timeoutMs` passes first. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.#connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#connectWaiters.push((connected) => {
        clearTimeout(timer);
        resolve(connected);
      });
    });
  }

  /** Sends one request; resolves with its reply, rejects with a ZkvError (error replies included). */
  request(request: OutgoingRequest, timeoutMs = this.timeoutMs): Promise<Reply> {
    if (this.#closed) return Promise.reject(new ZkvError(ErrorCode.NODE_UNAVAILABLE, "client is closed"));
    if (!this.#connected) {
      const failure = this.#authFailure;
      return Promise.reject(
        failure
          ? new ZkvError(ErrorCode.AUTH_FAILED, `node ${this.nodeId} (${this.endpoint}): ${failure}`)
          : this.#unavailable("not connected"),
      );
    }
    const id = this.#nextId++;
    const deadline = Date.now() + timeoutMs;
    const frame = requestFrame(request, id, deadline);
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { op: request.op, resolve, reject, deadline, timeoutMs });
      this.#deadlines.arm(deadline);
      if (this.#sendingId === 0) this.#send(id, frame);
      else this.#sendQueue.push({ id, frame });
    });
  }

  /**
   * Closes the socket and resolves once its send and receive loops have ended; requests still in
   * flight fail with NODE_UNAVAILABLE and waitConnected() callers get false. Safe to call twice
   * (both calls wait for the same close).
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#failAll("connection closed");
    this.#deadlines.clear();
    for (const wake of this.#connectWaiters.splice(0)) wake(false);
    const sent = this.#sendingId === 0 ? undefined : new Promise<void>((r) => (this.#sendsDone = r));
    this.#socket.close();
    await Promise.all([sent, this.#receiving]);
  }

  /**
   * Starts the send of one request; the next queued one follows when it completes. A state
   * machine of bound callbacks rather than an async loop: a lone request goes straight to the
   * socket, with no promise or closure of ours around it.
   */
  #send(id: number, frame: string): void {
    this.#sendingId = id;
    this.#socket.send(frame).then(this.#sent, this.#sendFailed);
  }

  readonly #sent = (): void => {
    const next = this.#closed ? undefined : this.#sendQueue.shift();
    if (next !== undefined) {
      this.#send(next.id, next.frame);
      return;
    }
    this.#sendingId = 0;
    this.#sendsDone?.();
  };

  readonly #sendFailed = (): void => {
    this.#failOne(this.#sendingId, "not connected");
    this.#sent();
  };

  /** Fails every request past its deadline; returns the earliest deadline left (Infinity: none). */
  #expire(now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const [id, pending] of this.#pending) {
      if (pending.deadline <= now) {
        this.#pending.delete(id);
        pending.reject(
          new ZkvError(
            ErrorCode.TIMEOUT,
            `node ${this.nodeId} did not answer within ${pending.timeoutMs} ms`,
          ),
        );
      } else if (pending.deadline < next) next = pending.deadline;
    }
    return next;
  }

  async #receiveLoop(): Promise<void> {
    // receive() itself rather than `for await`: the socket's async iterator wraps every message
    // in one more promise and result object.
    while (!this.#socket.closed) {
      let frames: Buffer[];
      try {
        frames = await this.#socket.receive();
      } catch (err) {
        if (this.#socket.closed && (err as { code?: unknown }).code === "EAGAIN") return;
        throw err;
      }
      const body = frames[frames.length - 1];
      if (body) settleReply(body, this.#pending);
    }
  }

  #onConnect(): void {
    this.#connected = true;
    this.#authFailure = undefined;
    for (const wake of this.#connectWaiters.splice(0)) wake(true);
  }

  #onHandshakeFailure(why: string): void {
    this.#authFailure = why;
    for (const wake of this.#connectWaiters.splice(0)) wake(false);
  }

  #onDisconnect(): void {
    this.#connected = false;
    // Replies to what was in flight will not come over this connection.
    this.#failAll("connection lost; the request may or may not have been applied");
  }

  #failOne(id: number, why: string): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.reject(this.#unavailable(why));
  }

  #failAll(why: string): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(this.#unavailable(why));
    }
    this.#sendQueue.length = 0;
  }

  #unavailable(why: string): ZkvError {
    return new ZkvError(
      ErrorCode.NODE_UNAVAILABLE,
      `node ${this.nodeId} (${this.endpoint}) unavailable: ${why}`,
    );
  }
}
