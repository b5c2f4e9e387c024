import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ClusterSettings } from "@zkv/membership";
import { freePorts, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { ExitCode } from "@zkv/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

let consul: TestConsul;
const dir = mkdtempSync(join(tmpdir(), "zkv-acl-cli-"));
beforeAll(async () => {
  consul = await startTestConsul({ acl: true });
  await new ClusterSettings(consul.config).setClusterSize(1);
});
afterAll(async () => {
  await consul?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs one node process the way an operator would and returns how it ended. */
async function runNode(env: Record<string, string>, extra: string[] = []) {
  const [port] = (await freePorts(1)) as [number];
  const { CONSUL_HTTP_TOKEN: _, ...inherited } = process.env;
  return spawnSync(
    process.execPath,
    ["--import", "tsx", MAIN, "--node-id", "node-0", "--port", String(port), "--metrics-port", "0", ...extra],
    { env: { ...inherited, ...env }, encoding: "utf8", timeout: 30_000 },
  );
}

describe("a node against a Consul that enforces ACLs", () => {
  it("without a token, exits 77 at once, saying Consul denied permission and that no token is set", async () => {
    const run = await runNode({ CONSUL_HTTP_ADDR: consul.addr });
    expect(run.status, run.stderr).toBe(ExitCode.NO_PERMISSION);
    expect(run.stderr).toMatch(/Consul denied permission while .*CONSUL_HTTP_TOKEN is not set/);
  });

  it("with a token Consul does not know, exits 77 as well", async () => {
    const run = await runNode({
      CONSUL_HTTP_ADDR: consul.addr,
      CONSUL_HTTP_TOKEN: "00000000-0000-0000-0000-000000000000",
    });
    expect(run.status, run.stderr).toBe(ExitCode.NO_PERMISSION);
    expect(run.stderr).not.toMatch(/not set/);
  });

  it("with a malformed CURVE key file, exits 78 before touching Consul", async () => {
    const bad = join(dir, "bad.key");
    writeFileSync(bad, "not a key\n");
    const run = await runNode(consul.env, ["--curve-secret-key-file", bad]);
    expect(run.status, run.stderr).toBe(ExitCode.CONFIG);
    expect(run.stderr).toMatch(/CURVE: .*bad.key: expected a 40-character Z85 key/);
  });
});
