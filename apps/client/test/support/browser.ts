import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { eventually, trackPid, untrackPid } from "@zkv/membership/testing";
import { programArgv } from "@zkv/server/testing";
import { type Browser, chromium } from "playwright-core";

/**
 * Debian's chromium: playwright's own browser download is not available on these machines, so
 * the test drives the system browser (scripts/bootstrap.sh installs it when run as root).
 */
export const CHROMIUM = process.env.ZKV_CHROMIUM ?? "/usr/bin/chromium";

/** Where screenshots go (git-ignored), to be looked at after a run. */
export const ARTIFACTS_DIR = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

/** Launches headless chromium; fails (never skips) when it is missing, saying how to get it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no browser at ${CHROMIUM}: the dashboard's browser test needs Debian's chromium ` +
        "(scripts/bootstrap.sh installs it when run as root; or `apt-get install chromium`, or set ZKV_CHROMIUM)",
    );
  // --no-sandbox: tests run as root, where chromium refuses its sandbox.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** A `zkv dashboard` process started by a test. */
export interface TestDashboard {
  readonly url: string;
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERMs it and waits for it to exit; resolves to its exit code. */
  stop(): Promise<number | null>;
}

/** Runs `zkv dashboard --port 0` as a user would and waits for the URL it prints. */
export async function startDashboard(env: Record<string, string>): Promise<TestDashboard> {
  const child = spawn(process.execPath, [...programArgv("client"), "dashboard", "--port", "0"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  trackPid(child.pid);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const code = await exited;
    untrackPid(child.pid);
    return code;
  };
  try {
    const url = await eventually<string | undefined>(() => {
      if (child.exitCode !== null) throw new Error(`zkv dashboard exited ${child.exitCode}:\n${output}`);
      return /^dashboard: (\S+)$/m.exec(output)?.[1];
    }, 30_000);
    return { url: url!, process: child, output: () => output, stop };
  } catch (err) {
    child.kill("SIGKILL");
    await stop();
    throw err;
  }
}
