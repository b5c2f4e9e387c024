import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { eventually, trackPid, untrackPid } from "@zkv/membership/testing";
import { afterAll, describe, expect, it } from "vitest";
import { METRICS_PORT_OFFSET } from "../src/node/metrics.js";
import { Scrape } from "./support/prometheus-scrape.js";

describe("the server CLI", () => {
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    untrackPid(child?.pid);
  });

  it("derives a node's metrics port from its own: port + 7000", async () => {
    const port = await freePortWithMetrics();
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));
    child = spawn(tsx, [main, "--node-id", "node-0", "--port", String(port), "--log-level", "warn"], {
      env: { ...process.env, ZKV_STATIC: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    trackPid(child.pid);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child?.once("exit", (code) => r(code)));
    const metrics = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port + METRICS_PORT_OFFSET}/metrics`).catch(
        () => undefined,
      );
      return res?.status === 200 ? new Scrape(await res.text()) : undefined;
    }).catch((err) => {
      throw new Error(`no metrics on port + ${METRICS_PORT_OFFSET}: ${err}\n${stderr}`);
    });
    expect(metrics?.value("zkv_keys", { node: "node-0" })).toBe(0);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    untrackPid(child.pid);
  });
});

/** A free port p (20000–50000) whose p + METRICS_PORT_OFFSET is free too. */
async function freePortWithMetrics(): Promise<number> {
  const canBind = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await canBind(port)) && (await canBind(port + METRICS_PORT_OFFSET))) return port;
  }
  throw new Error("no free port pair found");
}
