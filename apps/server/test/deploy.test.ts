import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ClusterSettings, listMembers } from "@zkv/membership";
import {
  eventually,
  freePorts,
  startTestConsul,
  type TestConsul,
  trackPid,
  untrackPid,
} from "@zkv/membership/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * What the Dockerfiles do, without Docker: build, then `node scripts/deploy.mjs <app> <dir>` (pnpm
 * deploy --prod plus publishConfig), and check the result runs on plain Node with nothing from
 * the workspace: built JavaScript only, production dependencies only, zeromq's native addon
 * loading. The server's output then runs a real node against a real Consul, health-checked by the
 * exact command docker-compose.yml uses, and the client's output talks to it.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WORKSPACE_PACKAGES = ["@zkv/protocol", "@zkv/hashring", "@zkv/membership"];

let work: string;
const out = { server: "", client: "" };

function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
  timeout = 30_000,
) {
  return spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout });
}

/** For the build and the deploys (the build alone takes ~20 s on two cores). */
function mustRun(cmd: string, args: readonly string[], cwd: string): void {
  const result = run(cmd, args, cwd, {}, 100_000);
  if (result.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "zkv-deploy-"));
  out.server = join(work, "server");
  out.client = join(work, "client");
  mustRun("pnpm", ["--filter", "@zkv/server...", "--filter", "@zkv/client...", "run", "build"], ROOT);
  mustRun("node", ["scripts/deploy.mjs", "@zkv/server", out.server], ROOT);
  mustRun("node", ["scripts/deploy.mjs", "@zkv/client", out.client], ROOT);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every file under `dir` (following the symlinks pnpm makes), but not under a directory named `skip`. */
function files(dir: string, skip?: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === skip) return [];
    return statSync(path).isDirectory() ? files(path, skip) : [path];
  });
}

describe.each([
  ["server", "Usage: zkv-server"],
  ["client", "Usage: zkv"],
] as const)("the deployed %s", (app, usage) => {
  it("runs dist/main.js on plain Node: --help exits 0 and prints the usage", () => {
    const help = run("node", ["dist/main.js", "--help"], out[app]);
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain(usage);
  });

  it("resolves every workspace package to its built JavaScript", () => {
    const script = `for (const p of ${JSON.stringify(WORKSPACE_PACKAGES)}) { await import(p); console.log(import.meta.resolve(p)); }`;
    const resolved = run("node", ["--input-type=module", "-e", script], out[app]);
    expect(resolved.stderr).toBe("");
    expect(resolved.status).toBe(0);
    const urls = resolved.stdout.trim().split("\n");
    expect(urls).toHaveLength(WORKSPACE_PACKAGES.length);
    for (const url of urls) expect(url).toMatch(/^file:\/\/.*\/node_modules\/@zkv\/[a-z]+\/dist\/index\.js$/);
    // Inside the output, not a link back into the workspace.
    for (const url of urls)
      expect(realpathSync(fileURLToPath(url)).startsWith(realpathSync(out[app]))).toBe(true);
  });

  it("holds no TypeScript sources, no test harness and no development dependencies", () => {
    const ours = [
      ...files(out[app], "node_modules"),
      ...WORKSPACE_PACKAGES.flatMap((p) => files(join(out[app], "node_modules", p))),
    ];
    expect(ours).toContain(join(out[app], "dist/main.js"));
    expect(ours.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(existsSync(join(out[app], "src"))).toBe(false);
    expect(existsSync(join(out[app], "node_modules/@zkv/membership/dist/testing"))).toBe(false);
    for (const dev of ["typescript", "vitest", "tsx", "@biomejs/biome", "fast-check", "yaml", "@zkv/server"])
      expect(existsSync(join(out[app], "node_modules", dev)), dev).toBe(false);
    const manifest = JSON.parse(
      readFileSync(join(out[app], "node_modules/@zkv/protocol/package.json"), "utf8"),
    );
    expect(manifest.exports["."].default).toBe("./dist/index.js");
  });

  it("loads zeromq's prebuilt native addon", () => {
    const zmq = run(
      "node",
      ["-e", "const zmq = require('zeromq'); new zmq.Dealer().close(); console.log(zmq.version)"],
      out[app],
    );
    expect(zmq.stderr).toBe("");
    expect(zmq.status).toBe(0);
    expect(zmq.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe("the deployed client", () => {
  it("ships the dashboard's page where the built dashboard looks for it, without its tsconfig", () => {
    const script =
      "const { loadAssets } = await import('./dist/dashboard/assets.js'); console.log([...(await loadAssets()).keys()].sort().join(' '))";
    const listed = run("node", ["--input-type=module", "-e", script], out.client);
    expect(listed.stderr).toBe("");
    expect(listed.stdout.trim().split(" ")).toEqual(
      expect.arrayContaining(["app.js", "index.html", "ring.js"]),
    );
    expect(existsSync(join(out.client, "web/tsconfig.json"))).toBe(false);
  });
});

describe.skipIf(process.platform !== "linux")("the deployed apps against a real Consul", () => {
  let consul: TestConsul;
  let node: ChildProcess | undefined;
  let port: number;
  let logs = "";

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(1);
    [port] = (await freePorts(1)) as [number];
  });

  afterAll(async () => {
    if (node && node.exitCode === null && node.signalCode === null) {
      const exited = new Promise((r) => node?.once("exit", r));
      node.kill("SIGKILL");
      await exited;
    }
    untrackPid(node?.pid);
    await consul?.stop();
  });

  it("runs a node as docker-compose.yml does (bind 0.0.0.0, advertise another address) that passes its health check, serves the deployed client and stops cleanly", async () => {
    // As node-0's compose service, on a free port, advertising 127.0.0.2 for the service name.
    node = spawn(
      "node",
      ["dist/main.js", "--node-id", "node-0", "--port", String(port), "--host", "0.0.0.0"].concat([
        "--advertise",
        "127.0.0.2",
        "--log-level",
        "warn",
      ]),
      { cwd: out.server, env: { ...process.env, ...consul.env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    trackPid(node.pid);
    node.stdout?.on("data", (d: Buffer) => (logs += d.toString()));
    node.stderr?.on("data", (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((r) => node?.once("exit", (code) => r(code)));

    const member = await eventually(async () => {
      const m = (await listMembers(consul.config)).find((x) => x.id === "node-0");
      return m?.health === "passing" ? m : undefined;
    }).catch((err) => {
      throw new Error(`node never passed in Consul: ${err}\n${logs}`);
    });
    expect(member).toMatchObject({ address: "127.0.0.2", port });

    // The compose file's own health check for node-0, pointed at this node's port.
    const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8"), { merge: true });
    const [kind, ...argv] = compose.services["node-0"].healthcheck.test as string[];
    expect(kind).toBe("CMD");
    const check = argv.map((a) => a.replace("'127.0.0.1', 2000,", `'127.0.0.1', ${port},`));
    expect(check).not.toEqual(argv);
    const health = run(check[0]!, check.slice(1), out.server, consul.env);
    expect(health.stderr).toBe("");
    expect(health.status).toBe(0);

    const put = run("node", ["dist/main.js", "put", "greeting", "hello"], out.client, consul.env);
    expect(put.stderr).toBe("");
    expect(put.stdout.trim()).toBe("OK");
    const get = run("node", ["dist/main.js", "get", "greeting"], out.client, consul.env);
    expect(get.stdout.trim()).toBe("hello");
    expect(get.status).toBe(0);

    node.kill("SIGTERM");
    expect(await exited).toBe(0);
    untrackPid(node.pid);
    await eventually(async () => (await listMembers(consul.config)).length === 0);
    // Gone from Consul: the health check now fails.
    expect(run(check[0]!, check.slice(1), out.server, consul.env).status).not.toBe(0);
  });
});
