import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterSettings } from "@zkv/membership";
import { startTestConsul, type TestConsul } from "@zkv/membership/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curveKeyPair } from "zeromq";
import { ARTIFACTS_DIR, launchChromium, startDashboard, type TestDashboard } from "./support/browser.js";
import { runCli, startCluster, type TestCluster } from "./support/cluster.js";

const KEYS = 3000;

/** The members table as the page shows it: id → [health, key count]. */
async function shownMembers(page: Page): Promise<Record<string, [string, number | undefined]>> {
  return page.$$eval("zkv-members tbody tr", (rows) =>
    Object.fromEntries(
      rows.map((r) => {
        const keys = r.querySelector('[data-col="keys"]')?.getAttribute("data-value");
        return [
          r.getAttribute("data-node"),
          [r.getAttribute("data-health"), keys ? Number(keys) : undefined],
        ];
      }),
    ),
  );
}

/** `zkv nodes --json` as the CLI prints it: id → [health, key count]. */
async function cliMembers(
  env: Record<string, string>,
): Promise<Record<string, [string, number | undefined]>> {
  const nodes = await runCli(["nodes", "--json"], env);
  expect(nodes.code, nodes.stderr).toBe(0);
  const members = (
    JSON.parse(nodes.stdout) as { members: Array<{ id: string; health?: string; stats?: { keys: number } }> }
  ).members;
  return Object.fromEntries(members.map((m) => [m.id, [m.health ?? "none", m.stats?.keys]]));
}

/** One share bar as the page shows it. */
interface ShownShare {
  /** The fraction of the circle (`data-share`), and after the rebalance (`data-after`). */
  readonly share: number;
  readonly after: number | undefined;
  /** What a person reads: "25.0%", or "25.0% → 33.3%" during a rebalance. */
  readonly text: string;
  readonly change: string | undefined;
}

/** The share bars beside the ring, only those a person can see: id → bar. */
async function shownShares(page: Page): Promise<Record<string, ShownShare>> {
  const rows = page.locator("zkv-shares li[data-node]");
  const shares: Record<string, ShownShare> = {};
  for (const row of await rows.all()) {
    const value = row.locator('[data-field="share"]');
    if (!(await row.isVisible()) || !(await value.isVisible())) continue;
    const after = await row.getAttribute("data-after");
    shares[(await row.getAttribute("data-node"))!] = {
      share: Number(await row.getAttribute("data-share")),
      after: after === null ? undefined : Number(after),
      text: (await value.textContent()) ?? "",
      change: (await row.getAttribute("data-change")) ?? undefined,
    };
  }
  return shares;
}

/** The percentages of a "25.0% → 33.3%" text, in tenths, so columns add up exactly. */
const tenths = (text: string) => [...text.matchAll(/(\d+\.\d)%/g)].map((m) => Math.round(Number(m[1]) * 10));

/** How many keys `--plan` says the change moves. */
async function plannedMoves(args: string[], env: Record<string, string>): Promise<number> {
  const plan = await runCli([...args, "--plan", "--json"], env);
  expect(plan.code, plan.stderr).toBe(0);
  return (JSON.parse(plan.stdout) as { moving: number }).moving;
}

/** The rebalance panel's figures, once its run reports `phase`. */
async function finishedRun(page: Page, title: string) {
  await page.waitForSelector(`zkv-rebalance [data-field="title"][data-phase="done"]:has-text("${title}")`, {
    timeout: 30_000,
  });
  const figure = async (field: string) =>
    Number(await page.getAttribute(`zkv-rebalance [data-field="${field}"]`, "data-value"));
  return { moved: await figure("moved"), planned: await figure("planned") };
}

/**
 * The cluster runs locked down as an operator would run it (Consul ACLs with zkv's policy, CURVE
 * on every node), so the dashboard's own client and the runs it starts are shown to reach it.
 */
describe("zkv dashboard in a real browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkv-e2e-dashboard-"));
  const keyFile = (name: string, key: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    return path;
  };
  let consul: TestConsul;
  let env: Record<string, string>;
  let cluster: TestCluster | undefined;
  let dashboard: TestDashboard | undefined;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    browser = await launchChromium(); // first: a missing browser fails before anything starts
    consul = await startTestConsul();
    const node = curveKeyPair();
    const client = curveKeyPair();
    await new ClusterSettings(consul.config).setClusterSize(4);
    cluster = await startCluster({
      ...consul.env,
      ZKV_CURVE_SECRET_KEY_FILE: keyFile("node.key", node.secretKey),
      ZKV_CURVE_ALLOWED_CLIENTS_FILE: keyFile("allowed", client.publicKey),
    });
    env = { ...consul.env, ZKV_CURVE_SECRET_KEY_FILE: keyFile("client.key", client.secretKey) };
    expect((await runCli(["load", "--count", String(KEYS)], env)).code).toBe(0);
    dashboard = await startDashboard(env);
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  });
  afterAll(async () => {
    await browser?.close();
    expect(await dashboard?.stop()).toBe(0);
    await cluster?.stop();
    await consul?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows 4 healthy members with the key counts `zkv nodes` shows, and the ring with 4 owners", async () => {
    await page.goto(dashboard!.url);
    await expect.poll(() => page.locator('zkv-members tr[data-health="passing"]').count()).toBe(4);
    // The table is a STATS sample up to a second old: poll until it shows what the CLI does.
    const expected = await cliMembers(env);
    await expect.poll(() => shownMembers(page)).toEqual(expected);
    expect(Object.values(await shownMembers(page)).reduce((n, [, keys]) => n + (keys ?? 0), 0)).toBe(KEYS);
    expect(await page.locator('zkv-ring g[data-ring="current"] path').count()).toBe(4);
  });

  it("shows each node's share of the ring, adding up to 100.0% and close to the keys it holds", async () => {
    const shares = await shownShares(page);
    expect(Object.keys(shares)).toEqual(["node-0", "node-1", "node-2", "node-3"]);
    expect(Object.values(shares).reduce((n, s) => n + tenths(s.text)[0]!, 0)).toBe(1000);
    // The share is what the hash ring gives a node; 3000 keys follow it to within sampling noise.
    const members = await cliMembers(env);
    for (const [node, s] of Object.entries(shares)) {
      expect(s.text).toMatch(/^\d+\.\d%$/);
      expect(Math.abs(tenths(s.text)[0]! - 1000 * s.share)).toBeLessThanOrEqual(1);
      expect(Math.abs(s.share - members[node]![1]! / KEYS)).toBeLessThan(0.03);
      expect(s.change).toBeUndefined();
    }
    // Pointing at a node's bar shows its arcs alone; leaving the bars shows every node again.
    await page.hover('zkv-shares li[data-node="node-2"]');
    expect(
      await page.locator("zkv-ring path:not(.dim)").evaluateAll((p) => p.map((e) => e.dataset.node)),
    ).toEqual(["node-2"]);
    await page.mouse.move(0, 0);
    await expect.poll(() => page.locator("zkv-ring path.dim").count()).toBe(0);
  });

  it("adds a node from its button: node-4 appears and the moved-keys counter reaches the plan's total", async () => {
    const planned = await plannedMoves(["add-node"], env);
    expect(planned).toBeGreaterThan(0);
    page.once("dialog", (dialog) => void dialog.accept());
    await page.click("#add-node");
    await page.waitForSelector('zkv-members tr[data-node="node-4"][data-health="passing"]', {
      timeout: 30_000,
    });
    expect(await finishedRun(page, "Added node-4")).toEqual({ moved: planned, planned });
    await expect.poll(() => page.locator('zkv-ring g[data-ring="current"] path').count()).toBe(5);
    await expect
      .poll(async () => Object.keys(await shownShares(page)))
      .toEqual(["node-0", "node-1", "node-2", "node-3", "node-4"]);
    // The table is a STATS sample up to a second old: wait for the one after the change.
    const expected = await cliMembers(env);
    await expect.poll(() => shownMembers(page)).toEqual(expected);
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS_DIR, "dashboard.png"), fullPage: true });
  });

  it("follows a remove-node run from the CLI in another process, through its reports in Consul", async () => {
    const planned = await plannedMoves(["remove-node", "node-0"], env);
    const removed = await runCli(["remove-node", "node-0"], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await finishedRun(page, "Removed node-0")).toEqual({ moved: planned, planned });
    await page.waitForSelector('zkv-members tr[data-node="node-0"]', { state: "detached", timeout: 20_000 });
    const expected = await cliMembers(env);
    await expect.poll(() => shownMembers(page)).toEqual(expected);
  });

  it("highlights the node an unfinished remove-node takes out: its share going to 0.0%, the others' growing", async () => {
    // Killed after its first batch: the placement record keeps the transition until a re-run.
    const killed = await runCli(["remove-node", "node-1"], { ...env, ZKV_FAILPOINT: "after-commit:1" });
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    await page.waitForSelector('zkv-shares li[data-node="node-1"][data-change="leaving"]', {
      timeout: 20_000,
    });
    const during = await shownShares(page);
    expect(Object.keys(during)).toEqual(["node-1", "node-2", "node-3", "node-4"]);
    expect(Object.values(during).filter((s) => s.change)).toEqual([
      expect.objectContaining({ change: "leaving", after: 0 }),
    ]);
    expect(tenths(during["node-1"]!.text)[1]).toBe(0);
    expect(Object.values(during).reduce((n, s) => n + tenths(s.text)[0]!, 0)).toBe(1000);
    expect(Object.values(during).reduce((n, s) => n + tenths(s.text)[1]!, 0)).toBe(1000);
    for (const node of ["node-2", "node-3", "node-4"])
      expect(during[node]!.after).toBeGreaterThan(during[node]!.share);
    // The ring: now with node-1, inside it the placement after, without.
    expect(await page.locator('zkv-ring g[data-ring="current"] path').count()).toBe(4);
    expect(await page.locator('zkv-ring g[data-ring="next"] path').count()).toBe(3);

    const resumed = await runCli(["remove-node", "node-1", "--wait", "30"], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    await page.waitForSelector("zkv-shares li[data-change]", { state: "detached", timeout: 20_000 });
    await expect
      .poll(async () => Object.keys(await shownShares(page)))
      .toEqual(["node-2", "node-3", "node-4"]);
    const expected = await cliMembers(env);
    await expect.poll(() => shownMembers(page)).toEqual(expected);
    expect(Object.values(expected).reduce((n, [, keys]) => n + (keys ?? 0), 0)).toBe(KEYS);
  });
});
