import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
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
import type { PlacementSpec } from "@zkv/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { METRICS_PORT_OFFSET } from "../src/node/metrics.js";
import { type NodeOptions, ZkvNode } from "../src/node/node.js";
import { call, EMPTY, expectEnvelope, frame, Harness } from "./helpers.js";

/** One sample line of the Prometheus text format, parsed. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** A scrape of a node's /metrics, read by metric name and labels. */
class Scrape {
  readonly samples: Sample[];

  constructor(readonly text: string) {
    this.samples = parseSamples(text);
  }

  /** The value of the one sample named `name` whose labels include `labels`; 0 when absent. */
  value(name: string, labels: Record<string, string> = {}): number {
    const found = this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
    return found[0]?.value ?? 0;
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

async function scrape(port: number): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

const harness = new Harness();
const nodes: ZkvNode[] = [];
const servers: Server[] = [];

afterEach(async () => {
  await harness.cleanup();
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A started node on free ports of 127.0.0.1; metrics on a free port unless `options` say otherwise. */
async function startNode(options: Partial<NodeOptions> = {}): Promise<ZkvNode> {
  const [port, metricsPort] = (await freePorts(2)) as [number, number];
  const node = new ZkvNode({
    nodeId: `metrics-${port}`,
    host: "127.0.0.1",
    port,
    metricsPort,
    logger: createLogger("silent", {}),
    ...options,
  });
  nodes.push(node);
  await node.start();
  return node;
}

describe("a node's Prometheus endpoint", () => {
  it("counts requests by op and outcome, times them, and reports keys and bytes", async () => {
    const node = await startNode();
    expect(node.metricsPort).toBeGreaterThan(0);
    const port = node.metricsPort!;
    const before = await scrape(port);
    expect(before.value("zkv_requests_total", { op: "PUT", outcome: "ok" })).toBe(0);
    expect(before.value("zkv_keys")).toBe(0);
    expect(before.value("zkv_bytes")).toBe(0);

    const dealer = harness.dealer(node);
    for (let i = 0; i < 3; i++)
      expect(await call(dealer, { op: "PUT", key: `k${i}`, value: "vv" })).toEqual({ ok: true });
    expect(await call(dealer, { op: "PUT", key: "k0", value: "vvvv" })).toEqual({ ok: true }); // overwrite
    expect(await call(dealer, { op: "GET_ONE", key: "k1" })).toEqual({ key: "k1", value: "vv" });
    for (let i = 0; i < 2; i++) {
      expect(await call(dealer, { op: "GET_ONE", key: "missing" })).toMatchObject({
        error: { code: "NOT_FOUND" },
      });
    }
    await dealer.send([EMPTY, frame("{not json")]);
    const bad = await dealer.receive();
    expectEnvelope(bad);
    expect(JSON.parse(bad[1]!.toString())).toMatchObject({ error: { code: "BAD_JSON" } });

    const after = await scrape(port);
    const requests = (op: string, outcome: string) =>
      after.value("zkv_requests_total", { op, outcome }) -
      before.value("zkv_requests_total", { op, outcome });
    expect(requests("PUT", "ok")).toBe(4);
    expect(requests("GET_ONE", "ok")).toBe(1);
    expect(requests("GET_ONE", "NOT_FOUND")).toBe(2);
    expect(requests("INVALID", "BAD_JSON")).toBe(1);
    expect(after.value("zkv_keys")).toBe(3);
    expect(after.value("zkv_bytes")).toBe(node.store.bytes);
    expect(after.value("zkv_bytes")).toBe(3 * 2 + 4 + 2 + 2); // keys k0..k2, values vvvv, vv, vv

    // One histogram observation per message, in cumulative buckets from 10 µs to 100 ms.
    const count = (op: string) => after.value("zkv_request_duration_seconds_count", { op });
    expect(count("PUT")).toBe(4);
    expect(count("GET_ONE")).toBe(3);
    expect(count("INVALID")).toBe(1);
    expect(after.value("zkv_request_duration_seconds_sum", { op: "PUT" })).toBeGreaterThan(0);
    const buckets = after.samples.filter(
      (s) => s.name === "zkv_request_duration_seconds_bucket" && s.labels.op === "PUT",
    );
    expect(buckets.map((b) => b.labels.le)).toEqual([
      "0.00001",
      "0.000025",
      "0.00005",
      "0.0001",
      "0.00025",
      "0.0005",
      "0.001",
      "0.0025",
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "+Inf",
    ]);
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(4);

    // Every sample names its node; the process metrics share the node's registry.
    expect(after.samples.every((s) => s.labels.node === `metrics-${node.endpoint.split(":")[2]}`)).toBe(true);
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);
    expect(after.has("nodejs_eventloop_lag_seconds")).toBe(true);
  });

  it("counts each element of a BATCH as its own op, and the BATCH as one timed message", async () => {
    const node = await startNode();
    const dealer = harness.dealer(node);
    const n = 1000;
    const ops: object[] = Array.from({ length: n }, (_, i) => ({ op: "PUT", key: `b${i}`, value: "x" }));
    ops.push({ op: "GET_ONE", key: "absent" }, { op: "GET_ALL" });
    const reply = (await call(dealer, { op: "BATCH", ops })) as { results: unknown[] };
    expect(reply.results).toHaveLength(n + 2);

    const after = await scrape(node.metricsPort!);
    expect(after.value("zkv_requests_total", { op: "PUT", outcome: "ok" })).toBe(n);
    expect(after.value("zkv_requests_total", { op: "GET_ONE", outcome: "NOT_FOUND" })).toBe(1);
    // GET_ALL cannot be batched: the element fails on its own and counts as undecodable.
    expect(after.value("zkv_requests_total", { op: "INVALID", outcome: "INVALID_REQUEST" })).toBe(1);
    // A BATCH that was applied is not counted again as an op of its own...
    expect(after.value("zkv_requests_total", { op: "BATCH", outcome: "ok" })).toBe(0);
    // ...and is timed once, not once per element.
    expect(after.value("zkv_request_duration_seconds_count", { op: "BATCH" })).toBe(1);
    expect(after.value("zkv_request_duration_seconds_count", { op: "PUT" })).toBe(0);
    expect(after.value("zkv_keys")).toBe(n);
    expect(after.value("zkv_bytes")).toBe(node.store.bytes);

    // A second BATCH moves the counter on by its own size.
    await call(dealer, { op: "BATCH", ops: ops.slice(0, 10) });
    const again = await scrape(node.metricsPort!);
    expect(again.value("zkv_requests_total", { op: "PUT", outcome: "ok" })).toBe(n + 10);
    expect(again.value("zkv_request_duration_seconds_count", { op: "BATCH" })).toBe(2);
  });

  it("serves /metrics only", async () => {
    const node = await startNode();
    const base = `http://127.0.0.1:${node.metricsPort}`;
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    expect((await fetch(`${base}/metrics?debug=1`)).status).toBe(200);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("serves no metrics with metrics port 0 (or none), but still counts", async () => {
    const [unused] = (await freePorts(1)) as [number];
    for (const options of [{ metricsPort: 0 }, { metricsPort: undefined }]) {
      const node = await startNode(options);
      expect(node.metricsPort).toBeUndefined();
      await call(harness.dealer(node), { op: "PING" });
      const text = await node.metrics.registry.metrics();
      expect(new Scrape(text).value("zkv_requests_total", { op: "PING", outcome: "ok" })).toBe(1);
      // No process metrics either: their observers would outlive the node.
      expect(new Scrape(text).has("process_cpu_user_seconds_total")).toBe(false);
    }
    await expect(fetch(`http://127.0.0.1:${unused}/metrics`)).rejects.toThrow();
  });

  it("refuses to start on a metrics port in use, and frees its own port", async () => {
    const [port, busy] = (await freePorts(2)) as [number, number];
    const blocker = createServer();
    servers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(busy, "127.0.0.1", resolve));
    const options = {
      nodeId: "busy",
      host: "127.0.0.1",
      port,
      metricsPort: busy,
      logger: createLogger("silent", {}),
    };
    const node = new ZkvNode(options);
    nodes.push(node);
    await expect(node.start()).rejects.toMatchObject({ code: "EADDRINUSE" });

    // Best effort (a derived port): the node serves without metrics.
    const again = new ZkvNode({ ...options, metricsBestEffort: true });
    nodes.push(again);
    await again.start();
    expect(again.metricsPort).toBeUndefined();
    expect(await call(harness.dealer(again), { op: "PING" })).toMatchObject({ ok: true });
  });
});

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

describe.skipIf(process.platform !== "linux")("metrics with a real Consul", () => {
  let consul: TestConsul;

  beforeAll(async () => {
    consul = await startTestConsul();
    await new ClusterSettings(consul.config).setClusterSize(1);
  });

  afterAll(async () => {
    await harness.cleanup();
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    await consul?.stop();
  });

  it("registers metrics_port in the node's Consul meta and counts keys moved in and out", async () => {
    const node = await startNode({ nodeId: "node-0", consul: consul.config });
    const member = await eventually(async () => {
      const m = (await listMembers(consul.config)).find((x) => x.id === "node-0");
      return m?.health === "passing" ? m : undefined;
    });
    expect(member?.meta).toMatchObject({ node_id: "node-0", metrics_port: String(node.metricsPort) });

    // A rebalance from {node-0} to {node-0, node-1}, driven by hand over the wire.
    const dealer = harness.dealer(node);
    const spec = (ids: string[]): PlacementSpec => ({
      hashing: "ring",
      members: ids.map((id) => ({ id, weight: 1 })),
    });
    const run = "metrics-run";
    for (let i = 0; i < 200; i++) await call(dealer, { op: "PUT", key: `m${i}`, value: "v" });
    expect(
      await call(dealer, {
        op: "MIGRATION",
        phase: "begin",
        run,
        epoch: node.cluster!.epoch,
        current: spec(["node-0"]),
        placement: spec(["node-0", "node-1"]),
      }),
    ).toMatchObject({ ok: true });
    const fetched = (await call(dealer, { op: "MIGRATE_FETCH", run, sweep: true })) as {
      entries: { key: string }[];
    };
    expect(fetched.entries.length).toBeGreaterThan(0);
    const committed = (await call(dealer, {
      op: "MIGRATE_COMMIT",
      run,
      keys: fetched.entries.map((e) => e.key),
    })) as { count: number };
    expect(committed.count).toBe(fetched.entries.length);
    expect(
      await call(dealer, {
        op: "IMPORT",
        run,
        entries: [
          { key: "in-1", value: "v" },
          { key: "in-2", value: "v" },
          { key: "in-3", deleted: true },
        ],
      }),
    ).toMatchObject({ ok: true, count: 3 });

    const after = await scrape(node.metricsPort!);
    expect(after.value("zkv_rebalance_keys_moved_total", { direction: "out" })).toBe(committed.count);
    expect(after.value("zkv_rebalance_keys_moved_total", { direction: "in" })).toBe(3);
    expect(after.value("zkv_requests_total", { op: "PUT", outcome: "ok" })).toBe(200);
    expect(after.value("zkv_requests_total", { op: "MIGRATE_COMMIT", outcome: "ok" })).toBe(1);
    expect(after.value("zkv_keys")).toBe(200 - committed.count + 2);
  });
});
