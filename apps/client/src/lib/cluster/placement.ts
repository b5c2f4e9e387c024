import { createPlacement, type Placement } from "@zkv/hashring";
import type { HashingMode, Member } from "@zkv/membership";

/** What placement needs of a node: its id and hashing weight. */
export interface Owner {
  readonly id: string;
  readonly weight: number;
}

/**
 * The placement for a membership view. Only ids and weights matter: health never moves a key
 * (a critical node keeps its keys and its requests fail fast instead).
 */
export function placementFor(hashing: HashingMode, members: readonly Owner[]): Placement | undefined {
  if (members.length === 0) return undefined;
  return createPlacement(
    hashing,
    members.map((m) => ({ id: m.id, weight: m.weight })),
  );
}

/** A fingerprint of what placement depends on, to rebuild it only when that changes. */
export function placementKey(hashing: HashingMode, members: readonly Owner[]): string {
  return `${hashing}|${members.map((m) => `${m.id}*${m.weight}`).join(",")}`;
}

/** Members of a phase-1 static cluster: node-i on host:basePort+i, all assumed passing. */
export function staticMembers(count: number, host: string, basePort: number): Member[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `node-${i}`,
    address: host,
    port: basePort + i,
    weight: 1,
    health: "passing" as const,
    meta: { node_id: `node-${i}`, weight: "1" },
  }));
}
