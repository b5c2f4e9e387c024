import { fileURLToPath } from "node:url";
import {
  ClusterSettings,
  consulConfigFromEnv,
  desiredNodes,
  formatConsulAddr,
  type PlacementRecord,
} from "@zkv/membership";
import { ExitCode } from "@zkv/protocol";
import { clearStaleEntries, launchPlacement, refuseIfRunning } from "../launcher/launch-placement.js";
import { ClusterLauncher } from "../launcher/launcher.js";
import { createLogger, type Logger } from "../logger.js";
import { waitForPings } from "../ping.js";
import { curveFromFlags, curveNodeArgs } from "./cli-curve.js";
import { memoryNodeArgs } from "./memory-flags.js";
import { type ServerFlags, untilSignal } from "./server-flags.js";
import { storageNodeArgs } from "./storage-flags.js";

/**
 * The launcher mode of the server CLI (the seed's server_consumer): a static cluster (--nodes)
 * or the Consul cluster of the placement record, supervised until a signal stops it.
 */
export async function runLauncher(flags: ServerFlags): Promise<number> {
  const log = createLogger(flags.logLevel, { role: "launcher" });
  const entry = process.argv[1] ?? fileURLToPath(new URL("../main.ts", import.meta.url));
  const nodeArgs = ["--host", flags.host, "--ttl", String(flags.ttl), "--log-level", flags.logLevel];
  if (flags.advertise) nodeArgs.push("--advertise", flags.advertise);
  // Checked here so a bad key fails the launcher once, not every node in a restart loop.
  const curve = curveFromFlags(flags);
  nodeArgs.push(...curveNodeArgs(flags), ...storageNodeArgs(flags), ...memoryNodeArgs(flags));
  if (flags.antiEntropyInterval !== undefined)
    nodeArgs.push("--anti-entropy-interval", String(flags.antiEntropyInterval));
  if (flags.bootstrapGiveUp !== undefined)
    nodeArgs.push("--bootstrap-give-up", String(flags.bootstrapGiveUp));

  if (flags.nodes !== undefined) {
    const nodes = nodeSpecs(flags.nodes, flags.basePort);
    const launcher = new ClusterLauncher({ nodes, entry, nodeArgs, logger: log, env: { ZKV_STATIC: "1" } });
    const stop = untilSignal();
    await launcher.start();
    // The launcher holds the nodes' key, and a node always admits its own key.
    const missing = await waitForPings(
      flags.host,
      nodes.map((n) => n.port),
      30_000,
      curve?.identity,
    );
    if (missing.length > 0) {
      await launcher.close();
      throw new Error(`nodes on ports ${missing.join(", ")} never answered`);
    }
    printTable(nodes.map((n) => ({ id: n.id, address: flags.host, port: n.port, health: "serving" })));
    process.stdout.write(`static cluster of ${nodes.length} nodes ready (no Consul); Ctrl-C stops it\n`);
    return finish(launcher, await stop, log);
  }

  const consul = consulConfigFromEnv();
  const settings = new ClusterSettings(consul);
  const record = await launchPlacement(settings, flags, consul);
  await refuseIfRunning(record, consul, flags.host);
  await clearStaleEntries(record, consul, log);
  const hashing = await settings.hashing();
  const copies = await settings.replication();
  const nodes = desiredNodes(record).map((n) => ({ id: n.id, port: n.port }));
  log.info(
    { nodes: nodes.length, epoch: record.epoch, hashing, consul: formatConsulAddr(consul) },
    "starting cluster",
  );
  const launcher = new ClusterLauncher({ nodes, entry, nodeArgs, consul, logger: log });
  const stop = untilSignal();
  let members: Awaited<ReturnType<ClusterLauncher["start"]>>;
  try {
    members = await launcher.start();
  } catch (err) {
    await launcher.close();
    throw err;
  }
  printTable(members ?? []);
  const replicated = copies.n > 1 ? `, ${copies.n} replicas, w=${copies.w} r=${copies.r}` : "";
  process.stdout.write(
    `cluster of ${members?.length ?? nodes.length} nodes ready (hashing: ${hashing}${replicated}); Ctrl-C stops it\n`,
  );
  // add-node arrives as a push: the placement record names a node nobody runs yet.
  const watch = settings.watchPlacement(log);
  // Nodes that were members at some point: a removed one exits by itself once it has redirected
  // its stragglers; only a node that never became a member (a rolled-back add) is stopped here.
  const everMember = new Set(record.members.map((m) => m.id));
  const follow = (next: PlacementRecord | undefined) => {
    if (!next) return; // a Consul that lost its KV says nothing about what to run
    for (const m of next.members) everMember.add(m.id);
    const desired = desiredNodes(next);
    for (const n of desired) {
      if (launcher.ensure({ id: n.id, port: n.port }))
        log.info({ node: n.id, port: n.port }, "launching added node");
    }
    for (const id of launcher.running) {
      if (desired.some((n) => n.id === id)) continue;
      if (everMember.has(id))
        launcher.unwant(id); // removed: it exits by itself
      else if (launcher.retire(id)) log.info({ node: id }, "stopping a node whose add was rolled back");
    }
  };
  // The record as it is now, not as it was before the nodes started: an add-node run meanwhile
  // changed it, and the watch reports only later changes.
  follow(await watch.start());
  watch.on("change", follow);
  const signal = await stop;
  watch.close();
  return finish(launcher, signal, log);
}

async function finish(launcher: ClusterLauncher, signal: NodeJS.Signals, log: Logger): Promise<number> {
  log.info({ signal }, "stopping cluster");
  await launcher.close();
  return ExitCode.OK;
}

function nodeSpecs(count: number, basePort: number) {
  return Array.from({ length: count }, (_, i) => ({ id: `node-${i}`, port: basePort + i }));
}

function printTable(
  rows: ReadonlyArray<{ id: string; address: string; port: number; health: string }>,
): void {
  const lines = [
    ["NODE", "ADDRESS", "HEALTH"],
    ...rows.map((r) => [r.id, `${r.address}:${r.port}`, r.health]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const l of lines) process.stdout.write(`${l.map((cell, c) => cell.padEnd(widths[c]!)).join("  ")}\n`);
}
