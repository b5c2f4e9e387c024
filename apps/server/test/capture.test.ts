import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@zkv/membership/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import type { ZkvNode } from "../src/node.js";
import { call, Harness } from "./helpers.js";

/**
 * What an eavesdropper on the node's port sees, captured by tshark on loopback and filtered to
 * that port. Capturing needs root: as another user the suite says why it skips; as root (CI) a
 * missing tshark fails the test, since scripts/bootstrap.sh installs it.
 */
const tshark = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v tshark"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
const root = process.getuid?.() === 0;
if (!root) console.warn("capture.test.ts skipped: capturing packets needs root (CI runs it as root)");

const harness = new Harness();
afterEach(() => harness.cleanup());
const dir = mkdtempSync(join(tmpdir(), "zkv-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A running tshark writing every packet to or from `port` on loopback into a file. */
async function capture(port: number): Promise<{ stop(minBytes: number): Promise<Buffer> }> {
  const file = join(dir, `capture-${port}.pcapng`);
  const child: ChildProcess = spawn(tshark!, ["-i", "lo", "-f", `tcp port ${port}`, "-w", file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`tshark exited ${child.exitCode}: ${stderr}`);
    return /Capturing on/.test(stderr);
  }, 20_000);
  const size = () => (existsSync(file) ? statSync(file).size : 0);
  return {
    /**
     * dumpcap writes packets some time after they crossed the wire, and SIGINT drops what it has
     * not written yet: wait until at least `minBytes` are in the file and it stopped growing.
     */
    async stop(minBytes: number) {
      try {
        await eventually(() => size() >= minBytes, 10_000);
        let last = -1;
        await eventually(async () => {
          const now = size();
          const settled = now === last;
          last = now;
          await new Promise((r) => setTimeout(r, 300));
          return settled;
        }, 10_000);
      } finally {
        child.kill("SIGINT");
        await exited;
      }
      return readFileSync(file);
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
