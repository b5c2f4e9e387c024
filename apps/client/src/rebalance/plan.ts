import type { DesiredNode, PlacementRecord } from "@zkv/membership";

/** Why a membership change (or a change of the replication factor) was refused; `code` is stable for scripts and tests. */
export class RebalanceError extends Error {
  constructor(
    readonly code:
      | "UNKNOWN_NODE"
      | "LAST_NODE"
      | "TOO_FEW_NODES"
      | "DUPLICATE_NODE"
      | "REBALANCE_IN_PROGRESS"
      | "NO_CLUSTER"
      | "NODE_NOT_READY"
      | "BAD_QUORUMS",
    message: string,
  ) {
    super(message);
    this.name = "RebalanceError";
  }
}

/** What the user asked for. */
export type MembershipChange =
  | {
      readonly kind: "add";
      readonly id?: string;
      readonly weight?: number;
      readonly port?: number;
      readonly host?: string;
    }
  | { readonly kind: "remove"; readonly id: string };

/**
 * The next free `node-<n>` id, one past the highest number in use or just removed: a node that
 * was just removed may still be on its way out, and its id is not handed to a new node.
 */
export function nextNodeId(record: PlacementRecord): string {
  const ids = [...record.members.map((m) => m.id), record.completed?.node ?? ""];
  const numbers = ids.map((id) => Number(/^node-(\d+)$/.exec(id)?.[1] ?? -1));
  return `node-${Math.max(-1, ...numbers) + 1}`;
}

/**
 * The membership after `change`, or a RebalanceError saying why not. Pure, so every refusal is
 * tested without a cluster: an unknown node, the last node, fewer members than `replicas`
 * copies of each key, an id that exists.
 */
export function nextMembers(
  record: PlacementRecord,
  change: MembershipChange,
  replicas = 1,
): { node: string; next: DesiredNode[] } {
  if (change.kind === "remove") {
    if (!record.members.some((m) => m.id === change.id)) {
      throw new RebalanceError(
        "UNKNOWN_NODE",
        `${change.id} is not a member (members: ${record.members.map((m) => m.id).join(", ")})`,
      );
    }
    if (record.members.length === 1)
      throw new RebalanceError("LAST_NODE", `${change.id} is the last node; a cluster needs one`);
    // Fewer members than copies would leave every write short of its quorum: refuse up front.
    if (record.members.length - 1 < replicas) {
      throw new RebalanceError(
        "TOO_FEW_NODES",
        `removing ${change.id} would leave ${record.members.length - 1} members for ${replicas} copies of each key ` +
          `(zkv/replication n=${replicas}); add a node first, or lower the replication factor`,
      );
    }
    return { node: change.id, next: record.members.filter((m) => m.id !== change.id) };
  }
  const id = change.id ?? nextNodeId(record);
  if (record.members.some((m) => m.id === id))
    throw new RebalanceError("DUPLICATE_NODE", `${id} is already a member`);
  const last = record.members[record.members.length - 1]!;
  const usedPorts = new Set(record.members.map((m) => m.port));
  let port = change.port ?? Math.max(...usedPorts) + 1;
  if (change.port === undefined) while (usedPorts.has(port)) port++;
  const added: DesiredNode = { id, weight: change.weight ?? 1, host: change.host ?? last.host, port };
  return { node: id, next: [...record.members, added] };
}

/** True when an unfinished transition is the same change as the one asked for (a resume). */
export function sameChange(record: PlacementRecord, change: MembershipChange): boolean {
  const t = record.transition;
  if (!t || t.kind !== change.kind) return false;
  return change.kind === "remove" ? t.node === change.id : change.id === undefined || t.node === change.id;
}
