import { ClusterSettings, listMembers, type Member } from "@zkv/membership";
import { eventually, freePorts, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { decodeReply, encodeRequest } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dealer } from "zeromq";
import { createLogger } from "../src/logger.js";
import { ZkvNode } from "../src/node/node.js";

/**
 * Bind vs advertise: in a container a node binds 0.0.0.0 but must announce an address other hosts
 * can reach. Linux routes all of 127.0.0.0/8 to the loopback interface, so 127.0.0.2 stands in for
 * "another address of this host" without any network setup.
 */
const ADVERTISED = "127.0.0.2";

let consul: TestConsul;
const nodes: ZkvNode[] = [];
const sockets: Dealer[] = [];

beforeAll(async () => {
  consul = await startTestConsul();
  await new ClusterSettings(consul.config).setClusterSize(2);
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(nodes.map((n) => n.close()));
  await consul?.stop();
});

async function startNode(
  nodeId: string,
  host: string,
  advertise?: string,
): Promise<{ node: ZkvNode; port: number }> {
  const [port] = (await freePorts(1)) as [number];
  const node = new ZkvNode({
    nodeId,
    host,
    port,
    ...(advertise === undefined ? {} : { advertise }),
    consul: consul.config,
    logger: createLogger("silent", {}),
  });
  nodes.push(node);
  await node.start();
  return { node, port };
}

/** The node's registration once Consul lists it as passing. */
async function registered(nodeId: string): Promise<Member> {
  const member = await eventually(async () => {
    const m = (await listMembers(consul.config)).find((x) => x.id === nodeId);
    return m?.health === "passing" ? m : undefined;
  });
  return member!;
}

/** PINGs tcp://host:port with a DEALER; the decoded reply. */
async function ping(host: string, port: number): Promise<unknown> {
  const socket = new Dealer({ linger: 0, receiveTimeout: 5000, sendTimeout: 5000 });
  sockets.push(socket);
  socket.connect(`tcp://${host}:${port}`);
  await socket.send([Buffer.alloc(0), encodeRequest({ op: "PING" })]);
  const frames = await socket.receive();
  return decodeReply(frames[frames.length - 1]!);
}

describe.skipIf(process.platform !== "linux")("bind address vs advertised address", () => {
  it("a node bound to 0.0.0.0 registers the advertised address in Consul and answers there", async () => {
    const { node, port } = await startNode("node-0", "0.0.0.0", ADVERTISED);
    expect(node.endpoint).toBe(`tcp://0.0.0.0:${port}`);

    const member = await registered("node-0");
    expect(member).toMatchObject({ id: "node-0", address: ADVERTISED, port });

    // What a client does: connect to the registered address.
    expect(await ping(member.address, member.port)).toEqual({ ok: true, node: "node-0" });
  });

  it("without an advertised address a node registers the address it binds", async () => {
    const { node } = await startNode("node-1", "127.0.0.1");
    const member = await registered("node-1");
    expect(member.address).toBe("127.0.0.1");
    expect(`tcp://${member.address}:${member.port}`).toBe(node.endpoint);
    expect(await ping(member.address, member.port)).toEqual({ ok: true, node: "node-1" });
  });
});
