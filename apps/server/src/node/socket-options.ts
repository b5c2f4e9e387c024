import type { CurveKeyPair, Limits } from "@zkv/protocol";
import type { Context, Router } from "zeromq";
import { ZAP_DOMAIN } from "../security/zap.js";

/**
 * The ZeroMQ-level limits that protect a node from its peers. There is no application-level
 * in-flight counter because a node answers one message at a time (receive, answer, send): what
 * a peer has "in flight" waits in ZeroMQ's receive pipe for that peer, so the per-connection
 * cap is the ROUTER's per-pipe receive high-water mark. A peer that reaches it is no longer read
 * (its own send queue and then TCP push back), and the ROUTER's fair queueing keeps serving
 * every other peer meanwhile.
 */
export interface SocketLimits {
  /** Messages queued per peer before the node stops reading that peer (the in-flight cap). */
  readonly maxQueuedPerPeer: number;
  /**
   * Replies ZeroMQ queues per peer (its send high-water mark). Past it the node holds a peer's
   * replies itself, counted in bytes (ClientOutput), so keep it small: ZeroMQ counts messages,
   * and this many 4 MiB GET_ALL pages are memory the byte limit does not see.
   */
  readonly maxRepliesPerPeer: number;
  /**
   * Bytes of replies the node holds for a peer that does not take them (`--client-output-limit`);
   * past it the peer is dropped. Keep it above the largest reply (maxMessageBytes).
   */
  readonly maxReplyBytesPerPeer: number;
  /** A connection that has not completed the ZMTP (and CURVE) handshake by then is dropped. */
  readonly handshakeIntervalMs: number;
  /** ZMTP heartbeats: a peer silent for heartbeatTimeoutMs is dropped, its queues reclaimed. */
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
}

/** Defaults; the README's table of limits lists them. */
export const DEFAULT_SOCKET_LIMITS: SocketLimits = Object.freeze({
  maxQueuedPerPeer: 1000,
  maxRepliesPerPeer: 16,
  maxReplyBytesPerPeer: 64 * 1024 * 1024,
  handshakeIntervalMs: 10_000,
  heartbeatIntervalMs: 5000,
  heartbeatTimeoutMs: 15_000,
});

/** How long a closing socket keeps trying to deliver the replies it still holds. */
const LINGER_MS = 1000;

/** Options of a node's ROUTER socket: limits, and CURVE server mode when `curve` is given. */
export function routerOptions(
  limits: Limits,
  socket: SocketLimits,
  receiveTimeout: number,
  curve?: { readonly identity: CurveKeyPair; readonly context: Context },
): ConstructorParameters<typeof Router>[0] {
  return {
    linger: LINGER_MS,
    receiveTimeout,
    // Twice the protocol limit: a message between the two gets a TOO_LARGE reply; beyond it
    // ZeroMQ drops the connection before buffering the whole thing.
    maxMessageSize: limits.maxMessageBytes * 2,
    heartbeatInterval: socket.heartbeatIntervalMs,
    heartbeatTimeout: socket.heartbeatTimeoutMs,
    heartbeatTimeToLive: socket.heartbeatTimeoutMs,
    handshakeInterval: socket.handshakeIntervalMs,
    sendHighWaterMark: socket.maxRepliesPerPeer,
    // A send to a peer whose queue is full fails at once (EAGAIN) rather than dropping the reply
    // silently (the default) or, with a timeout, stalling the sends to every other peer: the
    // node then holds the reply itself, within maxReplyBytesPerPeer (ClientOutput).
    mandatory: true,
    sendTimeout: 0,
    receiveHighWaterMark: socket.maxQueuedPerPeer,
    ...(curve
      ? {
          context: curve.context,
          curveServer: true,
          curveSecretKey: curve.identity.secretKey,
          zapDomain: ZAP_DOMAIN,
        }
      : {}),
  };
}
