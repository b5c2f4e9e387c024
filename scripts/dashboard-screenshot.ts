/**
 * Makes the dashboard's screenshots in docs/ from a live cluster. A plain `chromium --screenshot`
 * saves the page before its event stream has delivered anything ("connecting…"); this drives
 * Debian's chromium through playwright-core and waits until the page shows the cluster.
 *
 *   pnpm exec tsx scripts/dashboard-screenshot.ts [--hashing ring|hrw] [--out DIR]   (default: docs/)
 *
 * It starts a real Consul (ACLs on, on free ports), a 4-node cluster, loads 10,000 keys and opens
 * `zkv dashboard` at 1280 px wide. Then it runs `zkv add-node`, SIGSTOPs it once the page shows it
 * waiting for node-4's health check, saves the page mid-rebalance (node-4 joining) as
 * dashboard-rebalance.png, lets the run go on (SIGCONT), and once the page shows it done saves
 * dashboard.png. Everything it started is stopped at the end, also on a failure or
 * Ctrl-C. Needs the cached Consul (scripts/consul.sh) and /usr/bin/chromium (or ZKV_CHROMIUM).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ClusterSettings, type HashingMode } from "@zkv/membership";
import { startTestConsul } from "@zkv/membership/testing";
import trackedProcesses from "@zkv/membership/testing/global-setup";
import { launchChromium, startDashboard } from "../apps/client/test/support/browser.js";
import { runCli, spawnCli, startCluster } from "../apps/client/test/support/cluster.js";

/** playwright-core's page, named through the helper (the package is the client app's, not the root's). */
type Page = Awaited<ReturnType<Awaited<ReturnType<typeof launchChromium>>["newPage"]>>;

const KEYS = 10_000;
const NODES = 4;

const USAGE = "usage: pnpm exec tsx scripts/dashboard-screenshot.ts [--hashing ring|hrw] [--out DIR]";
/** The options; a typo or a bad mode answers with the usage before anything starts. */
function options(): { hashing: HashingMode; out: string } {
  let values: { hashing?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { hashing: { type: "string" }, out: { type: "string" }, help: { type: "boolean" } },
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const hashing = values.hashing ?? "ring";
  if (hashing !== "ring" && hashing !== "hrw") {
    console.error(`--hashing must be ring or hrw, not ${hashing}\n${USAGE}`);
    process.exit(2);
  }
  // docs/ of this checkout by default, wherever the script is run from.
  return {
    hashing,
    out: values.out ? resolve(values.out) : fileURLToPath(new URL("../docs/", import.meta.url)),
  };
}
const { hashing, out } = options();

/** Every process started below records its pid here; the teardown SIGKILLs what is left. */
const killLeftovers = trackedProcesses();
const cleanups: Array<() => Promise<unknown>> = [];
let cleaning: Promise<void> | undefined;
/** Stops everything started so far, newest first; a second call waits for the first. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const stop of cleanups.reverse()) await stop().catch((err) => console.error(String(err)));
    killLeftovers();
  })();
  return cleaning;
}
process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
process.once("SIGTERM", () => void cleanUp().then(() => process.exit(143)));

const step = (text: string) => console.error(`· ${text}`);

async function main(): Promise<void> {
  step("launching chromium");
  const browser = await launchChromium();
  cleanups.push(() => browser.close());
  step("starting Consul");
  const consul = await startTestConsul();
  cleanups.push(() => consul.stop());
  await new ClusterSettings(consul.config).setClusterSize(NODES);
  step(`starting ${NODES} nodes (${hashing})`);
  const cluster = await startCluster(consul.env, ["--hashing", hashing]);
  cleanups.push(() => cluster.stop());
  step(`loading ${KEYS.toLocaleString("en-US")} keys`);
  const load = await runCli(["load", "--count", String(KEYS)], consul.env);
  if (load.code !== 0) throw new Error(`zkv load exited ${load.code}: ${load.stderr}`);
  step("starting zkv dashboard");
  const dashboard = await startDashboard(consul.env);
  cleanups.push(() => dashboard.stop());

  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(dashboard.url);
  await page
    .locator('zkv-members tr[data-health="passing"]')
    .nth(NODES - 1)
    .waitFor();
  await page
    .locator("zkv-shares li[data-node]")
    .nth(NODES - 1)
    .waitFor();
  mkdirSync(out, { recursive: true });

  step("zkv add-node, paused while it waits for node-4");
  const add = spawnCli(["add-node"], consul.env);
  cleanups.push(async () => {
    add.child.kill("SIGKILL");
    await add.outcome;
  });
  // The run records the transition, then waits seconds for the launcher's new node to pass its
  // health check, reporting that wait to Consul a second after its start: pause it there.
  await page.locator('zkv-rebalance [data-phase="waiting-for-node"]').waitFor({ timeout: 60_000 });
  add.child.kill("SIGSTOP");
  await page.locator('zkv-shares li[data-change="joining"]').waitFor();
  await save(page, join(out, "dashboard-rebalance.png"));

  step("letting add-node finish");
  add.child.kill("SIGCONT");
  const added = await add.outcome;
  if (added.code !== 0) throw new Error(`zkv add-node exited ${added.code}: ${added.stderr}`);
  await page.locator('zkv-rebalance [data-field="title"][data-phase="done"]').waitFor({ timeout: 30_000 });
  await page.locator("zkv-shares li[data-change]").waitFor({ state: "detached" });
  // The members table is a STATS sample a second apart: wait for one that counts every key.
  await waitFor(async () => (await shownKeys(page)) === KEYS, "the page never showed every key");
  await save(page, join(out, "dashboard.png"));
}

/** The keys the members table adds up to. */
function shownKeys(page: Page): Promise<number> {
  return page.$$eval('zkv-members [data-col="keys"]', (cells) =>
    cells.reduce((n, c) => n + Number(c.getAttribute("data-value") || 0), 0),
  );
}

async function waitFor(
  condition: () => Promise<boolean>,
  failure: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function save(page: Page, path: string): Promise<void> {
  await page.mouse.move(0, 0); // no hover effect in the picture
  await page.screenshot({ path, fullPage: true });
  step(`saved ${path}`);
}

try {
  await main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
