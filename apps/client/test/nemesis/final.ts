import type { ConsulConfig } from "@zkv/membership";
import { eventually } from "@zkv/membership/testing";
import { ZkvClient } from "../../src/index.js";
import type { CliOutcome } from "../support/cluster.js";
import { checkCounters, checkPlacement, checkReads, type FinalRead, type Violation } from "./checker.js";
import type { History } from "./history.js";
import { describeOutcome, runCommand, type Settler } from "./operator.js";
import { checkRunReads } from "./run-reads.js";

/** Reads in flight at once at the end; each key is tried a few times before it counts as unreadable. */
const READ_WINDOW = 32;
const READ_ATTEMPTS = 3;
/** How long copies may take to converge (hints, trims) before the placement check counts. */
const PLACEMENT_SETTLE_MS = 20_000;

/**
 * How the final check reaches the cluster: a reader that knows the placement in force, the
 * members it scans, and the zkv CLI. consulAccess() is the default, from this host.
 */
export interface ClusterAccess {
  /** A reader, once it has the placement in force. */
  connect(): Promise<ZkvClient>;
  /** The members the placement check scans. */
  members(reader: ZkvClient): readonly string[];
  /** Runs one zkv command to its end. */
  cli(args: readonly string[]): Promise<CliOutcome>;
  /** True for keys another writer put in the cluster, which the placement check passes over. */
  foreign?(key: string): boolean;
}

export interface FinalCheckOptions {
  readonly consul: ConsulConfig;
  readonly env: Record<string, string>;
  readonly settler: Settler;
  /** False when an in-memory node crashed: a lost copy is then not restored (see checkPlacement). */
  readonly exactCopies: boolean;
  /** Default: consulAccess(consul, env). */
  readonly access?: ClusterAccess;
  /** False: no closing add-node and remove-node (the caller changes the membership itself next). */
  readonly changeMembership?: boolean;
  note(line: string): void;
  /** Called with each violation as it is found. */
  violation(v: Violation): void;
}

/** Clients of `consul` and the CLI on this host with `env`: every node reachable from here. */
export function consulAccess(consul: ConsulConfig, env: Record<string, string>): ClusterAccess {
  return {
    async connect() {
      const reader = await ZkvClient.connect({ consul, timeoutMs: 5000 });
      try {
        await eventually(() => {
          const desired = reader.placementRecord?.members.map((m) => m.id) ?? [];
          return desired.length > 0 && desired.every((id) => reader.members.some((m) => m.id === id));
        }, 20_000);
      } catch (err) {
        await reader.close();
        throw err;
      }
      return reader;
    },
    members: (reader) => reader.placementRecord?.members.map((m) => m.id) ?? [],
    cli: (args) => runCommand(args, env),
  };
}

/**
 * The end of the steps: stops the clients, notes what they did, and waits for the cluster to
 * settle (a violation if it does not) before the final check.
 */
export async function stopClients(
  clients: { operations(): number; stop(): Promise<void> },
  history: History,
  settler: Settler,
  record: Pick<FinalCheckOptions, "note" | "violation">,
): Promise<void> {
  await clients.stop();
  const h = history.summary();
  record.note(
    `clients stopped: ${clients.operations()} operations, ${h.acked} writes acknowledged, ` +
      `${h.indeterminate} indeterminate; failures ${JSON.stringify(h.errors)}`,
  );
  const unsettled = await settler.settle();
  if (unsettled)
    record.violation({
      invariant: "settle",
      kind: "not settled",
      detail: `before the final check: ${unsettled}`,
    });
}

/**
 * The end of a schedule, faults healed and the cluster settled: (1) the reads made during the
 * run checked against the writes around them (at most 20 reported), every key read back, (3)
 * every counter, (2) every node scanned for where each key is, then (4) one add-node and one
 * remove-node that must both exit 0, after which (1) and (3) are read again.
 */
export async function finalCheck(history: History, options: FinalCheckOptions): Promise<void> {
  const access = options.access ?? consulAccess(options.consul, options.env);
  const flagged = new Set<string | undefined>();
  const report = (v: Violation) => {
    flagged.add(v.key);
    options.violation(v);
  };
  const during = checkRunReads(history);
  options.note(`reads during the run: ${history.reads.length}, ${during.length} violations`);
  for (const v of during.slice(0, 20)) report(v);
  const keys = [...history.keys, ...history.counters.keys()];
  const reader = await access.connect();
  try {
    const reads = await readAll(reader, keys);
    const wrong = [...checkReads(history, reads), ...checkCounters(history, reads)];
    options.note(`final reads: ${keys.length} keys, ${wrong.length} violations`);
    for (const v of wrong) report(v);
    // The same keys through the bulk path (BATCHes of G, quorum reads under replication).
    const bulk = await bulkReadAll(reader, keys);
    const bulkWrong = [...checkReads(history, bulk), ...checkCounters(history, bulk)];
    options.note(`final bulk read: ${keys.length} keys, ${bulkWrong.length} violations`);
    for (const v of bulkWrong) if (!flagged.has(v.key)) report({ ...v, kind: `${v.kind} in a bulk read` });
    for (const v of await placementViolations(reader, reads, options.exactCopies, access)) report(v);
  } finally {
    await reader.close();
  }
  if (options.changeMembership === false) return;

  const add = await access.cli(["add-node", "--wait", "60", "--json"]);
  options.note(`final add-node: ${describeOutcome(add)}`);
  if (add.code !== 0) {
    return report({ invariant: "available", kind: "stuck", detail: `add-node: ${describeOutcome(add)}` });
  }
  const added = (JSON.parse(add.stdout) as { node: string }).node;
  const settledAfterAdd = await options.settler.settle();
  const remove = await access.cli(["remove-node", added, "--wait", "60", "--json"]);
  options.note(`final remove-node ${added}: ${describeOutcome(remove)}`);
  if (remove.code !== 0) {
    const after = settledAfterAdd ? ` (not settled after the add: ${settledAfterAdd})` : "";
    const detail = `remove-node ${added}: ${describeOutcome(remove)}${after}`;
    return report({ invariant: "available", kind: "stuck", detail });
  }
  const unsettled = await options.settler.settle();
  if (unsettled)
    report({ invariant: "settle", kind: "not settled", detail: `after the final remove: ${unsettled}` });
  const again = await access.connect();
  try {
    const rereads = await readAll(again, keys);
    for (const v of [...checkReads(history, rereads), ...checkCounters(history, rereads)]) {
      if (!flagged.has(v.key)) report({ ...v, kind: `${v.kind} after the final add+remove` });
    }
  } finally {
    await again.close();
  }
}

/** Reads every key, READ_WINDOW at a time; a read that fails READ_ATTEMPTS times is recorded as failed. */
async function readAll(client: ZkvClient, keys: readonly string[]): Promise<Map<string, FinalRead>> {
  const reads = new Map<string, FinalRead>();
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      let read: FinalRead = { error: "not read" };
      for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        try {
          read = { value: await client.get(key) };
          break;
        } catch (err) {
          read = { error: (err as { code?: string }).code ?? (err as Error).message };
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      reads.set(key, read);
    }
  };
  await Promise.all(Array.from({ length: READ_WINDOW }, worker));
  return reads;
}

/**
 * Reads every key with one getEach, tried again whole (up to READ_ATTEMPTS) while it fails; a
 * key it never answered is recorded as failed with the last failure's code.
 */
async function bulkReadAll(client: ZkvClient, keys: readonly string[]): Promise<Map<string, FinalRead>> {
  const reads = new Map<string, FinalRead>();
  let failure = "not read";
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    try {
      await client.getEach(keys, (key, value) => reads.set(key, { value }));
      return reads;
    } catch (err) {
      failure = (err as { code?: string }).code ?? (err as Error).message;
      reads.clear();
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  for (const key of keys) reads.set(key, { error: `bulk read: ${failure}` });
  return reads;
}

/**
 * Invariant (2), given time to converge: scans every member until the placement holds or
 * PLACEMENT_SETTLE_MS passes, and reports what the last scan found.
 */
async function placementViolations(
  client: ZkvClient,
  reads: ReadonlyMap<string, FinalRead>,
  exactCopies: boolean,
  access: ClusterAccess,
): Promise<Violation[]> {
  const present = new Map<string, boolean | undefined>();
  for (const [key, read] of reads) present.set(key, "error" in read ? undefined : read.value !== undefined);
  let last: Violation[] = [];
  await eventually(async () => {
    const holders = new Map<string, string[]>();
    for (const id of access.members(client)) {
      for await (const kv of client.scanNode(id, 5000)) {
        if (access.foreign?.(kv.key)) continue;
        const list = holders.get(kv.key);
        if (list) list.push(id);
        else holders.set(kv.key, [id]);
      }
    }
    last = checkPlacement({ holders, present, replicasOf: (key) => client.replicasOf(key), exactCopies });
    return last.length === 0;
  }, PLACEMENT_SETTLE_MS).catch((err: Error) => {
    if (last.length === 0) last = [{ invariant: "placement", kind: "scan failed", detail: err.message }];
  });
  return last;
}
