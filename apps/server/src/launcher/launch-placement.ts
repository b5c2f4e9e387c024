import { createServer } from "node:net";
import {
  type ClusterSettings,
  type ConsulConfig,
  deregisterNode,
  desiredNodes,
  formatConsulAddr,
  type HashingMode,
  initialPlacement,
  listMembers,
  type PlacementRecord,
  parseHashing,
  replication,
} from "@zkv/membership";
import type { Logger } from "../logger.js";
import { pingNode } from "../ping.js";
import { keysHeld } from "../store/index.js";

/** Why a launcher refused to start; `code` is stable for scripts and tests. */
export class LaunchRefusedError extends Error {
  constructor(
    readonly code: "SETTINGS_DIFFER" | "CLUSTER_RUNNING" | "PORT_IN_USE" | "DATA_WOULD_BE_ORPHANED",
    message: string,
  ) {
    super(message);
    this.name = "LaunchRefusedError";
  }
}

/** The flags that decide what a launcher starts: part of the server command line's (ServerFlags). */
export interface LaunchFlags {
  host: string;
  /** Port of node-0 in a new cluster. */
  basePort: number;
  /** Where the nodes keep their data, when on disk: a reset must not orphan it. */
  dataDir?: string;
  hashing?: HashingMode;
  clusterSize?: number;
  /** Forget the stored placement and seed a new cluster (see launchPlacement). */
  reset?: boolean;
  /** Replication factor, and optional default quorums, written to Consul KV zkv/replication. */
  replicas?: number;
  writeQuorum?: number;
  readQuorum?: number;
}

/** What the stored cluster says, next to what the flags ask for. */
export interface LaunchInputs {
  readonly record: PlacementRecord | undefined;
  readonly stored: { readonly hashing: string; readonly n: number };
  readonly flags: Pick<LaunchFlags, "clusterSize" | "hashing" | "replicas">;
}

/**
 * Pure: the flags that contradict a cluster that already exists. Once a placement record exists
 * it is the cluster's truth across restarts: `cluster_size` only seeds a new cluster, and the
 * hashing and replication factor of a loaded cluster decide where its keys are, so a restart
 * with other values would serve the wrong nodes' keys. Empty when the flags agree (or are absent).
 */
export function contradictions({ record, stored, flags }: LaunchInputs): string[] {
  if (!record) return [];
  const found: string[] = [];
  const size = record.members.length;
  if (flags.clusterSize !== undefined && flags.clusterSize !== size && !record.transition)
    found.push(`--cluster-size ${flags.clusterSize} (it has ${size} members)`);
  if (flags.hashing !== undefined && flags.hashing !== stored.hashing)
    found.push(`--hashing ${flags.hashing} (it uses ${stored.hashing})`);
  if (flags.replicas !== undefined && flags.replicas !== stored.n)
    found.push(`--replicas ${flags.replicas} (it keeps ${stored.n})`);
  return found;
}

/**
 * The placement to launch. A stored record wins; the flags may only repeat what it says. With no
 * record the cluster is new: the flags' settings are written and `cluster_size` seeds the record,
 * which every later start then follows.
 */
export async function launchPlacement(
  settings: ClusterSettings,
  flags: LaunchFlags,
  consul: ConsulConfig,
): Promise<PlacementRecord> {
  const { record, index } = await settings.placementRecord();
  if (record && flags.reset) {
    await refuseReset(record, consul, flags);
    return seed(settings, flags, consul, index, record.epoch + 1);
  }
  if (record) {
    const stored = { hashing: await settings.hashing(), n: (await settings.replication()).n };
    const wrong = contradictions({ record, stored, flags });
    if (wrong.length > 0) {
      const members = record.members.map((m) => m.id).join(", ");
      throw new LaunchRefusedError(
        "SETTINGS_DIFFER",
        `the cluster at ${formatConsulAddr(consul)} already exists (placement epoch ${record.epoch}: ${members}) ` +
          `and the flags contradict it: ${wrong.join("; ")}. Drop them to start it as it is; change its ` +
          "size with add-node/remove-node, or start over with --reset",
      );
    }
    return record;
  }
  return seed(settings, flags, consul, index, 0);
}

/**
 * Refuses to reset a cluster whose nodes run, or whose members' data dirs hold keys: placed
 * afresh, those keys would sit on nodes that no longer own them (orphaned). Without a data dir
 * a stopped cluster holds nothing.
 */
async function refuseReset(record: PlacementRecord, consul: ConsulConfig, flags: LaunchFlags): Promise<void> {
  await refuseIfRunning(record, consul, flags.host);
  if (flags.dataDir === undefined) return;
  const held = await keysHeld(
    flags.dataDir,
    desiredNodes(record).map((n) => n.id),
  );
  if (held.size === 0) return;
  const list = [...held].map(([id, n]) => `${id}: ${n} keys`).join(", ");
  throw new LaunchRefusedError(
    "DATA_WOULD_BE_ORPHANED",
    `--reset would orphan the data in ${flags.dataDir} (${list}). Start the cluster as it is and ` +
      "export the data first (zkv export), or move those dirs aside",
  );
}

/** Writes the flags' settings and a placement seeded from cluster_size, at `epoch`. */
async function seed(
  settings: ClusterSettings,
  flags: LaunchFlags,
  consul: ConsulConfig,
  index: number,
  epoch: number,
): Promise<PlacementRecord> {
  if (flags.clusterSize !== undefined) await settings.setClusterSize(flags.clusterSize);
  if (flags.hashing !== undefined) await settings.setHashing(parseHashing(flags.hashing));
  if (flags.replicas !== undefined)
    await settings.setReplication(replication(flags.replicas, flags.writeQuorum, flags.readQuorum));
  const size = await settings.clusterSize();
  if (size === undefined) {
    throw new Error(
      `cluster_size is not set in Consul KV at ${formatConsulAddr(consul)}: ` +
        "set it with `consul kv put cluster_size 4`, or pass --cluster-size 4",
    );
  }
  // A reset goes on from the old epoch: a node that still remembers it must take this as newer.
  const fresh = { ...initialPlacement(size, flags.host, flags.basePort), epoch };
  if (!(await settings.writePlacement(fresh, index)))
    throw new Error("placement record changed while starting; retry");
  return fresh;
}

/**
 * Refuses to launch over a cluster that is already running: a node of ours passing in Consul and
 * answering at its address, or a port we need that something else holds. Without this check a
 * second launcher's nodes crash-loop on "address in use" while it reports the first one's
 * registrations as its own cluster being ready.
 */
export async function refuseIfRunning(
  record: PlacementRecord,
  consul: ConsulConfig,
  host: string,
  ping: (address: string, port: number) => Promise<boolean> = (a, p) => pingNode(a, p, 1000),
): Promise<void> {
  const ours = new Set(desiredNodes(record).map((n) => n.id));
  const live = (await listMembers(consul)).filter((m) => ours.has(m.id) && m.health === "passing");
  const answering = (
    await Promise.all(live.map(async (m) => ((await ping(m.address, m.port)) ? m : undefined)))
  )
    .filter((m) => m !== undefined)
    .map((m) => `${m.id} at ${m.address}:${m.port}`);
  if (answering.length > 0) {
    throw new LaunchRefusedError(
      "CLUSTER_RUNNING",
      `a zkv cluster is already running against Consul ${formatConsulAddr(consul)} (${answering.join(", ")}); ` +
        "stop it first, or point CONSUL_HTTP_ADDR at another Consul",
    );
  }
  const taken: number[] = [];
  for (const n of desiredNodes(record)) if (!(await portFree(host, n.port))) taken.push(n.port);
  if (taken.length > 0) {
    throw new LaunchRefusedError(
      "PORT_IN_USE",
      `port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} on ${host} ${taken.length > 1 ? "are" : "is"} in use by another process; ` +
        "stop it, or start this cluster elsewhere (--base-port applies only to a new cluster)",
    );
  }
}

/** True when a TCP listener could bind host:port right now. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Clears the Consul entries of nodes that died without deregistering (a SIGKILLed process
 * group) and that the placement no longer names: critical for good otherwise, they make every
 * view of the cluster show a member that will never come back.
 */
export async function clearStaleEntries(
  record: PlacementRecord,
  consul: ConsulConfig,
  log: Logger,
): Promise<void> {
  const wanted = new Set(desiredNodes(record).map((n) => n.id));
  for (const m of await listMembers(consul)) {
    if (wanted.has(m.id) || m.health !== "critical") continue;
    await deregisterNode(consul, m.id);
    log.info({ node: m.id }, "cleared the Consul entry of a node the placement no longer names");
  }
}
