import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts } from "@zkv/membership/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TestProcesses } from "./support/processes.js";

/**
 * A value with a lone surrogate used to be acknowledged and read back as sent, then come back
 * from the data dir as U+FFFD after a restart (values are UTF-8 on disk). A real node on a real
 * data dir now refuses it, keeps serving, and what it did acknowledge survives the restart as sent.
 */
const root = mkdtempSync(join(tmpdir(), "zkv-surrogate-"));
const processes = new TestProcesses();
afterEach(() => processes.cleanup());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a key or value with a lone surrogate", () => {
  it("is refused with INVALID_REQUEST naming the field; the node serves on, and a restart changes nothing", async () => {
    const [port] = (await freePorts(1)) as [number];
    const dataDir = join(root, "node");
    const args = ["--data-dir", dataDir];
    const env = { ZKV_STATIC: "1" };
    const node = await processes.node("node-0", port, args, env);
    const client = processes.dealer(port);

    const refusal = { code: "INVALID_REQUEST", message: expect.stringMatching(/lone surrogate/) };
    expect(await client.request({ op: "PUT", key: "k", value: "a\ud800b" })).toEqual({
      error: { ...refusal, field: "value" },
      id: expect.any(Number),
    });
    expect(await client.request({ op: "PUT", key: "\udc00", value: "v" })).toMatchObject({
      error: { ...refusal, field: "key" },
    });
    const batch = await client.request({
      op: "BATCH",
      ops: [
        { op: "PUT", key: "b1", value: "x\udbffy" },
        { op: "PUT", key: "b2", value: "a😀b" },
      ],
    });
    expect(batch).toMatchObject({ results: [{ error: { ...refusal, field: "value" } }, { ok: true }] });
    expect(await client.request({ op: "PUT", key: "astral", value: "a😀b" })).toMatchObject({ ok: true });
    expect(await client.request({ op: "GET_ONE", key: "k" })).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await client.request({ op: "PING" })).toMatchObject({ ok: true, node: "node-0" });

    await client.close();
    expect(await node.stop("SIGTERM")).toBe(0);
    await processes.node("node-0", port, args, env);
    const again = processes.dealer(port);
    expect(await again.request({ op: "GET_ONE", key: "astral" })).toMatchObject({ value: "a😀b" });
    expect(await again.request({ op: "GET_ONE", key: "b2" })).toMatchObject({ value: "a😀b" });
    for (const key of ["k", "\udc00", "b1"])
      expect(await again.request({ op: "GET_ONE", key })).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});
