import { type CurveKeyPair, decodeReply, encodeRequest } from "@zkv/protocol";
import { Dealer } from "zeromq";

/**
 * True when the node at host:port answers a PING within `timeoutMs` (static-mode readiness).
 * With `curve`, the node's own keypair: it connects as a CURVE client holding the node's key,
 * which every node admits.
 */
export async function pingNode(
  host: string,
  port: number,
  timeoutMs: number,
  curve?: CurveKeyPair,
): Promise<boolean> {
  const socket = new Dealer({
    linger: 0,
    receiveTimeout: timeoutMs,
    sendTimeout: timeoutMs,
    ...(curve
      ? { curveServerKey: curve.publicKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey }
      : {}),
  });
  try {
    socket.connect(`tcp://${host}:${port}`);
    await socket.send([Buffer.alloc(0), encodeRequest({ op: "PING" })]);
    const frames = await socket.receive();
    const reply = decodeReply(frames[frames.length - 1]!) as { ok?: boolean };
    return reply.ok === true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

/** Polls every node with PING until all answer or `timeoutMs` passes; returns those that never did. */
export async function waitForPings(
  host: string,
  ports: readonly number[],
  timeoutMs: number,
  curve?: CurveKeyPair,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...ports];
  while (pending.length > 0 && Date.now() < deadline) {
    const answered = await Promise.all(pending.map((p) => pingNode(host, p, 500, curve)));
    pending = pending.filter((_, i) => !answered[i]);
  }
  return pending;
}
