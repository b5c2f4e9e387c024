import { freePorts } from "@zkv/membership/testing";
import { createLogger, ZkvNode } from "@zkv/server";
import { Router } from "zeromq";

/** What a test opened; the test file closes it all, newest first, in afterEach. */
export type Opened = Array<{ close(): unknown }>;

/** A real node (node-0) in this process, on a free port; its port is a static client's base port. */
export async function inProcessNode(opened: Opened): Promise<{ node: ZkvNode; port: number }> {
  const [port] = (await freePorts(1)) as [number];
  const node = new ZkvNode({ nodeId: "node-0", host: "127.0.0.1", port, logger: createLogger("silent", {}) });
  await node.start();
  opened.push(node);
  return { node, port };
}

/**
 * A ROUTER on a free port where a node would be: it takes the client's requests and answers only
 * what the test sends, so a test can leave a request unanswered or answer it wrongly.
 */
export async function fakeNode(opened: Opened): Promise<{ socket: Router; port: number }> {
  const [port] = (await freePorts(1)) as [number];
  const socket = new Router();
  await socket.bind(`tcp://127.0.0.1:${port}`);
  opened.push(socket);
  return { socket, port };
}
