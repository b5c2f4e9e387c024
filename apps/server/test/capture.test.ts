import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@zkv/membership/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import type { ZkvNode } from "../src/node/node.js";
import { call, Harness } from "./helpers.js";

/**
 * What an eavesdropper on the node's port sees, captured by tshark on loopback and filtered to
 * that port. Capturing needs root: as another user the suite says why it skips; as root (CI) a
 * missing tshark fails the test, since scripts/bootstrap.sh installs it.
 */
const find = (tool: string) => {
  try {
    return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
};
const tshark = find("tshark");
/** Installed with tshark (wireshark-common): the capture engine, used here directly. */
const dumpcap = find("dumpcap");
const root = process.getuid?.() === 0;
if (!root) console.warn("capture.test.ts skipped: capturing packets needs root (CI runs it as root)");

const harness = new Harness();
afterEach(() => harness.cleanup());
const dir = mkdtempSync(join(tmpdir(), "zkv-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A running dumpcap (tshark's capture engine) writing every packet to or from `port` on loopback
 * to its stdout as pcap, which it flushes per packet: the test sees each packet as it is
 * captured, where tshark's own output (and a capture file) can lag by any amount. The raw pcap
 * holds every byte that crossed the port, headers included.
 */
async function capture(port: number): Promise<{ stop(minBytes: number): Promise<Buffer> }> {
  const child: ChildProcess = spawn(dumpcap!, ["-q", "-i", "lo", "-f", `tcp port ${port}`, "-P", "-w", "-"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const chunks: Buffer[] = [];
  let bytes = 0;
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on("data", (d: Buffer) => {
    chunks.push(d);
    bytes += d.length;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // The pcap file header comes first, once the capture is running.
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`dumpcap exited ${child.exitCode}: ${stderr}`);
    return bytes >= 24;
  }, 20_000);
  return {
    async stop(minBytes: number) {
      try {
        await eventually(() => bytes >= minBytes, 30_000);
      } finally {
        child.kill("SIGINT");
        await exited;
      }
      return Buffer.concat(chunks);
    },
  };
}

const server = curveKeyPair();
const client = curveKeyPair();
const KEY = `eavesdrop-key-${process.pid}`;
const VALUE = `eavesdrop-value-${process.pid}-`.repeat(1000); // ~25 KB, so its ciphertext is visible

/** Writes, reads and lists KEY through `node` while tshark listens; returns the capture. */
async function traffic(node: ZkvNode, options: Parameters<Harness["dealer"]>[1] = {}): Promise<Buffer> {
  const port = Number(node.endpoint.split(":").pop());
  const cap = await capture(port);
  const failure = await (async () => {
    const dealer = harness.dealer(node, options);
    expect(await call(dealer, { op: "PUT", key: KEY, value: VALUE })).toEqual({ ok: true });
    expect(await call(dealer, { op: "GET_ONE", key: KEY })).toEqual({ key: KEY, value: VALUE });
    expect(await call(dealer, { op: "GET_ALL" })).toEqual({ collection: [{ key: KEY, value: VALUE }] });
  })().then(
    () => undefined,
    (err: unknown) => err,
  );
  // The value crossed the port three times (PUT, GET_ONE, GET_ALL): at least that much was sent.
  const packets = await cap.stop(failure === undefined ? 3 * VALUE.length : 0);
  if (failure !== undefined) throw failure;
  return packets;
}

describe.skipIf(!root)("traffic captured on a node's port", () => {
  it("tshark is installed (scripts/bootstrap.sh installs it when run as root)", () => {
    expect(
      tshark,
      "tshark is missing: apt-get install tshark, or run scripts/bootstrap.sh as root",
    ).toBeDefined();
    expect(dumpcap, "dumpcap (installed with tshark) is missing").toBeDefined();
  });

  it("shows keys and values in plaintext without CURVE (so the capture itself is proven to work)", async () => {
    const packets = await traffic(await harness.node());
    expect(packets.includes(KEY)).toBe(true);
    expect(packets.includes("eavesdrop-value-")).toBe(true);
  });

  it("shows neither keys nor values with CURVE, though every byte of them crossed the port", async () => {
    const allowList = join(dir, "allowed");
    writeFileSync(allowList, `${client.publicKey}\n`);
    const node = await harness.node(undefined, {
      curve: { identity: server, allowedClientsFile: allowList },
    });
    const packets = await traffic(node, {
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    expect(packets.length).toBeGreaterThan(3 * VALUE.length); // the ciphertext of all three
    expect(packets.includes(KEY)).toBe(false);
    expect(packets.includes("eavesdrop-value-")).toBe(false);
    expect(packets.includes('"op"')).toBe(false);
  });
});
