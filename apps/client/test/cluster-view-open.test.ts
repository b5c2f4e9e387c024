import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NodeRegistration, REPLICA_STATE_META } from "@zkv/membership";
import { eventually, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";

/**
 * A proxy in front of Consul that can hold the next KV read and tells when a membership answer
 * with a given text went by: the test interleaves a membership change with the client's open.
 */
class HoldingProxy {
  readonly server: Server;
  #armed = false;
  #held: (() => void) | undefined;
  #onHeld: (() => void) | undefined;
  readonly #seen: string[] = [];

  constructor(target: { host: string; port: number }) {
    this.server = createServer((req, res) => {
      const forward = () => {
        const up = request(
          { host: target.host, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on("data", (c: Buffer) => chunks.push(c));
            answer.on("end", () => {
              const body = Buffer.concat(chunks);
              if (req.url?.startsWith("/v1/health/service/")) this.#seen.push(body.toString());
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(body);
            });
          },
        );
        up.on("error", () => res.destroy());
        req.pipe(up);
      };
      if (req.url?.startsWith("/v1/health/service/")) this.#armed = true;
      else if (this.#armed && req.url?.startsWith("/v1/kv/") && this.#onHeld) {
        this.#armed = false;
        this.#held = forward;
        this.#onHeld();
        this.#onHeld = undefined;
        return;
      }
      forward();
    });
  }

  /** Resolves once a KV read that follows the first membership read is held. */
  holdNextKvRead(): Promise<void> {
    return new Promise((resolve) => {
      this.#onHeld = resolve;
    });
  }

  release(): void {
    this.#held?.();
    this.#held = undefined;
  }

  /** Whether a membership answer matching `pattern` went back to the client. */
  passed(pattern: RegExp): boolean {
    return this.#seen.some((body) => pattern.test(body));
  }
}

/**
 * A client opening its view reads membership, then placement and replication: a membership change
 * that arrives in between must not be lost. It was: the change came before the view listened, the
 * view then adopted the first answer, and kept it until the next change (seen in CI as a client
 * that saw a node "bootstrapping" for 30 s after Consul had it serving).
 */
describe("a client's view of the members, opened while they change", () => {
  let consul: TestConsul;
  let proxy: HoldingProxy;

  beforeAll(async () => {
    consul = await startTestConsul();
    proxy = new HoldingProxy(consul.config);
    await new Promise<void>((r) => proxy.server.listen(0, "127.0.0.1", () => r()));
  });

  afterAll(async () => {
    proxy?.server.closeAllConnections();
    await new Promise((r) => proxy?.server.close(r));
    await consul?.stop();
  });

  it("a node that starts serving while the client opens is seen serving", async () => {
    const node = new NodeRegistration({
      consul: consul.config,
      nodeId: "node-0",
      address: "127.0.0.1",
      port: 1, // nothing listens: the client's view is what is checked, not the node
      meta: { [REPLICA_STATE_META]: "bootstrapping" },
    });
    await node.start();
    try {
      const held = proxy.holdNextKvRead();
      const { port } = proxy.server.address() as AddressInfo;
      const opening = ZkvClient.connect({
        consul: { ...consul.config, host: "127.0.0.1", port },
        connectTimeoutMs: 100,
      });
      await held;
      await node.updateMeta({ [REPLICA_STATE_META]: "serving" });
      await eventually(() => proxy.passed(new RegExp(`"${REPLICA_STATE_META}":\\s*"serving"`)), 10_000);
      proxy.release();
      const client = await opening;
      try {
        await eventually(() => client.members[0]?.meta[REPLICA_STATE_META] === "serving", 5_000).catch(
          () => undefined,
        );
        expect(client.members.map((m) => m.meta[REPLICA_STATE_META])).toEqual(["serving"]);
      } finally {
        await client.close();
      }
    } finally {
      await node.close();
    }
  });
});
