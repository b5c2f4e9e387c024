import { ErrorCode, ZkvError } from "@zkv/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { ZkvClient } from "../src/index.js";
import { fakeNode, inProcessNode, type Opened } from "./support/in-process.js";

const opened: Opened = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<ZkvError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(ZkvError);
  return outcome as ZkvError;
}

describe("ZkvClient.close()", () => {
  it("can be called twice, and closed() resolves once it is done", async () => {
    const { port } = await inProcessNode(opened);
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port } });
    let closed = false;
    void client.closed().then(() => {
      closed = true;
    });
    await client.put("k", "v");
    expect(closed).toBe(false);

    await Promise.all([client.close(), client.close()]);
    expect(closed).toBe(true);
    await client.close(); // a third call, after the close, is as harmless
  });

  it("fails a request in flight before it resolves, and every request after it", async () => {
    // A node that receives requests and never answers: the request stays in flight until close.
    const { socket: silent, port } = await fakeNode(opened);
    const client = await ZkvClient.connect({ static: { nodes: 1, basePort: port }, timeoutMs: 60_000 });
    opened.push(client);

    let failed = false;
    const inFlight = rejection(client.get("k")).finally(() => {
      failed = true;
    });
    await silent.receive(); // the node has it
    await client.close();
    expect(failed).toBe(true); // failed by the time close() resolved
    expect((await inFlight).code).toBe(ErrorCode.NODE_UNAVAILABLE);

    for (const after of [
      client.get("k"),
      client.put("k", "v"),
      client.delete("k"),
      client.request("node-0", { op: "PING" }),
      client.scan().next(),
    ]) {
      const err = await rejection(after);
      expect(err.code).toBe(ErrorCode.NODE_UNAVAILABLE);
      expect(err.message).toMatch(/client is closed/);
    }
  });
});
