import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CURVE_KEY_META, type Member } from "@zkv/membership";
import { freePorts } from "@zkv/membership/testing";
import { CurveKeyError, ErrorCode, publicKeyOf, type ZkvError } from "@zkv/protocol";
import { createLogger, ZkvNode } from "@zkv/server";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import { type ClientCurve, nodeSecurity, ZkvClient } from "../src/index.js";
import { runCli } from "./support/cluster.js";

const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});
const dir = mkdtempSync(join(tmpdir(), "zkv-client-curve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = curveKeyPair();
const allowed = curveKeyPair();

/** A CURVE node in this process that admits `allowed`, and its port. */
async function curveNode(): Promise<number> {
  const [port] = (await freePorts(1)) as [number];
  const file = join(dir, `allowed-${port}`);
  writeFileSync(file, `${allowed.publicKey}\n`);
  const node = new ZkvNode({
    nodeId: "node-0",
    host: "127.0.0.1",
    port,
    logger: createLogger("silent", {}),
    curve: { identity: server, allowedClientsFile: file },
  });
  await node.start();
  opened.push(node);
  return port;
}

async function connect(port: number, curve?: ClientCurve): Promise<ZkvClient> {
  const client = await ZkvClient.connect({
    static: { nodes: 1, basePort: port },
    // Far longer than a refused handshake takes, even on a loaded machine: a refusal wakes the
    // connect wait at once, and a request sent before it knows fails as NODE_UNAVAILABLE.
    timeoutMs: 30_000,
    connectTimeoutMs: 30_000,
    ...(curve ? { curve } : {}),
  });
  opened.push(client);
  return client;
}

describe("nodeSecurity", () => {
  const member = (meta: Record<string, string> = {}): Member => ({
    id: "node-1",
    address: "10.0.0.1",
    port: 2001,
    weight: 1,
    health: "passing",
    meta: { node_id: "node-1", ...meta },
  });
  const curve = { identity: allowed };

  it("uses the key a node publishes, and plaintext only when neither side has CURVE", () => {
    expect(nodeSecurity(member({ [CURVE_KEY_META]: server.publicKey }), curve)).toEqual({
      kind: "curve",
      identity: allowed,
      serverKey: server.publicKey,
    });
    expect(nodeSecurity(member(), undefined)).toEqual({ kind: "plaintext" });
    expect(nodeSecurity(member(), { ...curve, serverKey: server.publicKey })).toMatchObject({
      kind: "curve",
      serverKey: server.publicKey,
    });
  });

  it("refuses a node that needs a key the client lacks, a plaintext node for a CURVE client, a bad key", () => {
    expect(nodeSecurity(member({ [CURVE_KEY_META]: server.publicKey }), undefined)).toMatchObject({
      kind: "refused",
      reason: expect.stringMatching(/requires CURVE/),
    });
    expect(nodeSecurity(member(), curve)).toMatchObject({
      kind: "refused",
      reason: expect.stringMatching(/plaintext/),
    });
    expect(nodeSecurity(member({ [CURVE_KEY_META]: "short" }), curve)).toMatchObject({ kind: "refused" });
  });
});

describe("ZkvClient against a CURVE node", () => {
  it("reads and writes with an allowed key", async () => {
    const client = await connect(await curveNode(), { identity: allowed, serverKey: server.publicKey });
    await client.put("k", "v");
    expect(await client.get("k")).toBe("v");
  });

  it("fails fast with AUTH_FAILED without a key or with an unlisted one", async () => {
    const port = await curveNode();
    for (const curve of [undefined, { identity: curveKeyPair(), serverKey: server.publicKey }]) {
      const client = await connect(port, curve);
      // AUTH_FAILED, not TIMEOUT after the request's 30 s: the refusal itself fails the request.
      const err = (await client.get("k").catch((e: unknown) => e)) as ZkvError;
      expect(err.code, err.message).toBe(ErrorCode.AUTH_FAILED);
    }
  });

  it("needs the nodes' public key in static mode", async () => {
    await expect(connect(await curveNode(), { identity: allowed })).rejects.toBeInstanceOf(CurveKeyError);
  });
});

describe("zkv keygen", () => {
  it("writes a secret key only its owner can read and the matching public key; never overwrites", async () => {
    const out = join(dir, "keys");
    const first = await runCli(["keygen", "--out", out, "--name", "client"], {});
    expect(first.code, first.stderr).toBe(0);
    const secret = readFileSync(join(out, "client.key"), "utf8").trim();
    const pub = readFileSync(join(out, "client.pub"), "utf8").trim();
    expect(publicKeyOf(secret)).toBe(pub);
    expect(first.stdout.trim()).toBe(pub);
    expect(statSync(join(out, "client.key")).mode & 0o777).toBe(0o600);
    const again = await runCli(["keygen", "--out", out, "--name", "client"], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; not overwriting/);
    expect(readFileSync(join(out, "client.key"), "utf8").trim()).toBe(secret);
  });
});
