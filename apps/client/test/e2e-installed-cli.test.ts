import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listMembers } from "@zkv/membership";
import { eventually, freePorts, startTestConsul, type TestConsul } from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "./support/cluster.js";

/**
 * The installed programs as a user gets them from `bash scripts/install-cli.sh`: compiled
 * `zkv` and `zkv-server` linked into a bin folder, run directly (no pnpm, no tsx), with only
 * results on stdout and exit codes that mean something.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
let binDir = "";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  program: "zkv" | "zkv-server",
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const child = spawn(join(binDir, program), args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

beforeAll(() => {
  binDir = mkdtempSync(join(tmpdir(), "zkv-bin-"));
  execFileSync("bash", [join(ROOT, "scripts/install-cli.sh"), "--bin-dir", binDir], { stdio: "pipe" });
}, 120_000);
afterAll(() => rmSync(binDir, { recursive: true, force: true }));

describe("install-cli.sh", () => {
  it("links zkv and zkv-server into the bin folder, pointing at the compiled programs", () => {
    expect(readlinkSync(join(binDir, "zkv"))).toMatch(/apps\/client\/dist\/cli\/zkv\.mjs$/);
    expect(readlinkSync(join(binDir, "zkv-server"))).toMatch(/apps\/server\/dist\/cli\/zkv-server\.mjs$/);
  });

  it("zkv --help and zkv-server --help print usage on stdout and exit 0", async () => {
    const client = await run("zkv", ["--help"]);
    expect(client.code).toBe(0);
    expect(client.stdout).toMatch(/^Usage: zkv /);
    expect(client.stderr).toBe("");
    const version = await run("zkv", ["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    const server = await run("zkv-server", ["--help"]);
    expect(server.code).toBe(0);
    expect(server.stdout).toMatch(/^Usage: zkv-server /);
  });
});

describe("argument errors: a message and exit 2, before any connection", () => {
  // A Consul address where nothing listens: an argument error must be found before trying it.
  let nowhere: Record<string, string> = {};
  beforeAll(async () => {
    const [port] = await freePorts(1);
    nowhere = { CONSUL_HTTP_ADDR: `127.0.0.1:${port}` };
  });

  it.each([
    [["cas", "lock-1", "abc", "worker-8"], /version/],
    [["put"], /missing required argument/],
    [["put", "--ttl", "soon", "k", "v"], /--ttl/],
    [["get", "k", "extra"], /too many arguments|unexpected/],
    [["frobnicate"], /unknown command/],
    [["--timeout", "-5", "get", "k"], /--timeout/],
  ])("zkv %j", async (args, message) => {
    const r = await run("zkv", args as string[], nowhere);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it("no Consul: exit 69, saying where zkv looked and why there", async () => {
    const r = await run("zkv", ["get", "k"], nowhere);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`${nowhere.CONSUL_HTTP_ADDR}, from CONSUL_HTTP_ADDR`);
    expect(r.stdout).toBe("");
  });
});

describe("a cluster driven through the installed zkv", () => {
  let consul: TestConsul | undefined;
  let cluster: TestCluster | undefined;

  let dataDir = "";

  beforeAll(async () => {
    consul = await startTestConsul();
    // Compiled by the same build as the installed programs (test-support/build-programs.ts), with
    // a data dir: a compiled node commits on a worker thread it starts from a file of its own,
    // which the build once left out, so that every write of such a node failed.
    dataDir = mkdtempSync(join(tmpdir(), "zkv-installed-data-"));
    cluster = await startCluster(consul.env, ["--cluster-size", "3", "--data-dir", dataDir]);
    // Under heavy load a node has been seen missing from Consul just after "ready" (see the
    // closing note of session 4); this file tests the installed CLI, not that, so it waits.
    await eventually(
      async () => (await listMembers(consul!.config)).filter((m) => m.health === "passing").length === 3,
      30_000,
    );
  });
  afterAll(async () => {
    await cluster?.stop();
    await consul?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("zkv all writes exactly one line per key to stdout; progress stays on stderr", async () => {
    const load = await run("zkv", ["load", "--count", "700"], consul!.env);
    expect(load.code, load.stderr).toBe(0);
    const all = await run("zkv", ["all"], consul!.env);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trimEnd().split("\n")).toHaveLength(700);
  });

  it("exit codes come through unchanged: 0 put, 3 missing key, 5 conflict", async () => {
    expect((await run("zkv", ["put", "greeting", "hello"], consul!.env)).code).toBe(0);
    const got = await run("zkv", ["get", "greeting"], consul!.env);
    expect(got).toMatchObject({ code: 0, stdout: "hello\n" });
    const missing = await run("zkv", ["get", "no-such-key"], consul!.env);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("no-such-key");
    const conflict = await run("zkv", ["put", "--if-absent", "greeting", "again"], consul!.env);
    expect(conflict.code).toBe(5);
  });
});

describe("scripts/start.sh checks its options before installing anything", () => {
  const startSh = (args: string[]) => {
    const child = spawn("bash", [join(ROOT, "scripts/start.sh"), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    return new Promise<Run>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
  };

  it("--help prints usage and exits 0", async () => {
    const r = await startSh(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("bash scripts/start.sh [--hashing ring|hrw]");
  });

  it.each([
    [["--sise", "3"], /unknown option: --sise/],
    [["--size"], /--size needs a value/],
    [["--hashing", "md5"], /--hashing must be ring or hrw/],
    [["--count", "-1"], /--count must be a whole number/],
  ])("start.sh %j exits 2 saying why, having started nothing", async (args, message) => {
    const r = await startSh(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain("bootstrap:");
  });
});
