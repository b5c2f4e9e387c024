import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePorts } from "@zkv/membership/testing";
import { ExitCode } from "@zkv/protocol";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** `zkv-server <args>` run to its end, as an operator runs it. */
function zkvServer(args: readonly string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("the zkv-server command line", () => {
  it("--version and -V print the package's version", () => {
    for (const flag of ["--version", "-V"]) {
      const run = zkvServer([flag]);
      expect([run.status, run.stdout, run.stderr]).toEqual([ExitCode.OK, `${VERSION}\n`, ""]);
    }
  });

  it("ends quietly (exit 0) when the reader of its help goes away, as `--help | head -1` does", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "--help"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy(); // the reader is gone before the help is written
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once("close", resolve));
    expect([code, stderr]).toEqual([ExitCode.OK, ""]);
  });

  it("help text names no phase, seed or README section", () => {
    const help = zkvServer(["--help"]);
    expect(help.status).toBe(ExitCode.OK);
    expect(help.stdout).not.toMatch(/phase 1|\bseed|README/);
    expect(help.stdout).toContain("4 refused");
  });

  it("a bad flag is a usage error (exit 2)", () => {
    const run = zkvServer(["--nodes", "0"]);
    expect([run.status, run.stderr]).toEqual([ExitCode.USAGE, expect.stringContaining("positive integer")]);
  });

  it("--snapshot-every takes a size, and only with --data-dir (exit 2 otherwise)", () => {
    const bad = zkvServer(["--data-dir", "/tmp/x", "--snapshot-every", "lots"]);
    expect([bad.status, bad.stderr]).toEqual([
      ExitCode.USAGE,
      expect.stringContaining("--snapshot-every must be"),
    ]);
    const alone = zkvServer(["--snapshot-every", "4kb", "--nodes", "1"]);
    expect([alone.status, alone.stderr]).toEqual([
      ExitCode.USAGE,
      expect.stringContaining("needs --data-dir"),
    ]);
  });

  it("--bootstrap-give-up takes a positive number of seconds (exit 2 otherwise), and says so in the help", () => {
    for (const raw of ["0", "-3", "soon"]) {
      const run = zkvServer(["--bootstrap-give-up", raw]);
      expect([run.status, run.stderr]).toEqual([
        ExitCode.USAGE,
        expect.stringContaining("--bootstrap-give-up must be a positive number"),
      ]);
    }
    expect(zkvServer(["--help"]).stdout).toContain("--bootstrap-give-up <seconds>");
  });

  it("an unusable CONSUL_HTTP_ADDR is a usage error (exit 2), as it is for zkv", () => {
    const run = zkvServer(["--cluster-size", "1"], { CONSUL_HTTP_ADDR: "ftp://consul:1" });
    expect([run.status, run.stderr]).toEqual([
      ExitCode.USAGE,
      expect.stringContaining('invalid Consul address "ftp://consul:1"'),
    ]);
  });

  it("Consul unavailable: exit 69, saying where it looked and what to try", async () => {
    const [port] = (await freePorts(1)) as [number]; // nothing listens there
    const run = zkvServer(["--cluster-size", "1"], { CONSUL_HTTP_ADDR: `127.0.0.1:${port}` });
    expect(run.status, run.stderr).toBe(ExitCode.UNAVAILABLE);
    expect(run.stderr).toMatch(/^error: Consul unavailable while /);
    expect(run.stderr).toContain(`zkv looked for Consul at 127.0.0.1:${port}, from CONSUL_HTTP_ADDR`);
  });
});
