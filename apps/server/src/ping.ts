import { decodeReply, encodeRequest } from "@zkv/protocol";
import { Dealer } from "zeromq";

/** True when the node at host:port answers a PING within `timeoutMs` (static-mode readiness). */
export async function pingNode(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const socket = new Dealer({ linger: 0, receiveTimeout: timeoutMs, sendTimeout: timeoutMs });
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
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = [...ports];
  while (pending.length > 0 && Date.now() < deadline) {
    const answered = await Promise.all(pending.map((p) => pingNode(host, p, 500)));
    pending = pending.filter((_, i) => !answered[i]);
  }
  return pending;
}
