import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CurveKeyPair, z85Decode } from "@zkv/protocol";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { curveKeyPair, type Dealer } from "zeromq";
import type { ZkvNode } from "../src/node/node.js";
import { decideZap, ZAP_DOMAIN } from "../src/security/zap.js";
import { call, EMPTY, frame, Harness } from "./helpers.js";

const harness = new Harness();
afterEach(() => harness.cleanup());
const dir = mkdtempSync(join(tmpdir(), "zkv-curve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = curveKeyPair();
const allowed = curveKeyPair();
const stranger = curveKeyPair();

/** Socket options of a CURVE client with `identity` that trusts `serverKey`. */
function curveClient(identity: CurveKeyPair, serverKey = server.publicKey) {
  return {
    curveServerKey: serverKey,
    curvePublicKey: identity.publicKey,
    curveSecretKey: identity.secretKey,
  };
}

async function curveNode(): Promise<ZkvNode> {
  const file = join(dir, `allowed-${Math.random()}`);
  writeFileSync(file, `# the test client\n${allowed.publicKey}\n`);
  return harness.node(undefined, { curve: { identity: server, allowedClientsFile: file } });
}

/** True when `dealer` gets any reply to a GET_ALL within `ms`: anything at all is data leaked. */
async function getsAnswer(dealer: Dealer): Promise<boolean> {
  await dealer.send([EMPTY, frame('{"op":"GET_ALL"}')]).catch(() => {});
  try {
    await dealer.receive();
    return true;
  } catch (err) {
    expect((err as { code?: string }).code).toBe("EAGAIN");
    return false;
  }
}

describe("a CURVE node", () => {
  it("serves an allowed client, and no one else: no key, a wrong server key, a stolen public key, an unlisted key", async () => {
    const node = await curveNode();
    const good = harness.dealer(node, curveClient(allowed));
    expect(await call(good, { op: "PUT", key: "secret-key", value: "secret-value" })).toEqual({ ok: true });

    const outsiders = {
      plaintext: harness.dealer(node, { receiveTimeout: 1500 }),
      wrongServerKey: harness.dealer(node, {
        receiveTimeout: 1500,
        ...curveClient(allowed, stranger.publicKey),
      }),
      // Claims the allowed client's public key without its secret key: the handshake cannot succeed.
      impersonator: harness.dealer(node, {
        receiveTimeout: 1500,
        ...curveClient({ publicKey: allowed.publicKey, secretKey: stranger.secretKey }),
      }),
      unlisted: harness.dealer(node, { receiveTimeout: 1500, ...curveClient(stranger) }),
    };
    const answered = await Promise.all(Object.values(outsiders).map(getsAnswer));
    expect(Object.fromEntries(Object.keys(outsiders).map((k, i) => [k, answered[i]]))).toEqual({
      plaintext: false,
      wrongServerKey: false,
      impersonator: false,
      unlisted: false,
    });
    // Only the unlisted client got as far as the ZAP handler; the others failed the handshake.
    expect(node.curve?.refused).toBeGreaterThanOrEqual(1);

    expect(await call(good, { op: "GET_ALL" })).toEqual({
      collection: [{ key: "secret-key", value: "secret-value" }],
    });
  });

  it("admits a holder of its own key (its launcher pings with it)", async () => {
    const node = await curveNode();
    expect(await call(harness.dealer(node, curveClient(server)), { op: "PING" })).toMatchObject({ ok: true });
  });

  it("refuses to start on a malformed allow-list file, naming the line", async () => {
    const file = join(dir, "bad-list");
    writeFileSync(file, `${allowed.publicKey}\nnot-a-key\n`);
    await expect(
      harness.node(undefined, { curve: { identity: server, allowedClientsFile: file } }),
    ).rejects.toThrow(/bad-list line 2/);
  });
});

describe("decideZap", () => {
  const request = (overrides: Partial<Record<number, Buffer>> = {}, key = allowed.publicKey) => {
    const frames = [
      Buffer.from("rid"),
      EMPTY,
      Buffer.from("1.0"),
      Buffer.from("7"),
      Buffer.from(ZAP_DOMAIN),
      Buffer.from("10.0.0.9"),
      EMPTY,
      Buffer.from("CURVE"),
      z85Decode(key)!,
    ];
    for (const [i, f] of Object.entries(overrides)) frames[Number(i)] = f as Buffer;
    return frames;
  };
  const admit = (key: string) => key === allowed.publicKey;
  const status = (frames: Buffer[]) => decideZap(frames, admit).reply.map(String).slice(2, 7);

  it("answers 200 with the key as user id for an allowed CURVE client", () => {
    expect(status(request())).toEqual(["1.0", "7", "200", "OK", allowed.publicKey]);
    expect(decideZap(request(), admit)).toMatchObject({ admitted: true, address: "10.0.0.9" });
  });

  it("answers 400 to an unlisted key, another mechanism or domain, a bad version or a short key", () => {
    expect(status(request({}, stranger.publicKey))[2]).toBe("400");
    expect(status(request({ 7: Buffer.from("NULL") }))[2]).toBe("400");
    expect(status(request({ 4: Buffer.from("other") }))[2]).toBe("400");
    expect(status(request({ 2: Buffer.from("2.0") }))[2]).toBe("400");
    expect(status(request({ 8: Buffer.alloc(16) }))[2]).toBe("400");
    expect(status(request().slice(0, 8))[2]).toBe("400");
  });
});
