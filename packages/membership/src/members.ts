/** The Consul service name every zkv node registers under. */
export const SERVICE_NAME = "zkv";

/**
 * Service meta under which a CURVE-enabled node publishes its public key, so clients learn it
 * with the node's address; a node without it speaks plaintext.
 */
export const CURVE_KEY_META = "curve_public_key";

/**
 * Service meta under which a replicating node says whether it serves (`serving`) or is still
 * taking the copies it should hold from the other replicas (`bootstrapping`): its answers count
 * toward no quorum until it serves. Absent on a node that keeps one copy per key.
 */
export const REPLICA_STATE_META = "state";

/** Health of a member as Consul's checks report it (worst check wins). */
export type Health = "passing" | "warning" | "critical";

/**
 * One registered zkv node. Placement follows membership, not health: a critical member keeps
 * its keys, so consumers get every registered member and decide what "down" means themselves.
 */
export interface Member {
  /** Stable node id (`node-0`, …): the name the placement hashes, never an index. */
  readonly id: string;
  /** Address clients connect to (the node's advertised address). */
  readonly address: string;
  readonly port: number;
  /** Hashing weight (1 unless the node was started with another). */
  readonly weight: number;
  readonly health: Health;
  /** Service meta as registered (node_id, weight, and anything later issues add). */
  readonly meta: Readonly<Record<string, string>>;
}

/** The Consul service id of a node: namespaced so zkv never clashes with other services. */
export function serviceIdOf(nodeId: string): string {
  return `${SERVICE_NAME}-${nodeId}`;
}

/** The TTL check id of a node's registration. */
export function checkIdOf(nodeId: string): string {
  return `service:${serviceIdOf(nodeId)}`;
}

interface HealthEntry {
  Node?: { Address?: string };
  Service?: { ID?: string; Address?: string; Port?: number; Meta?: Record<string, string> | null };
  Checks?: Array<{ Status?: string; ServiceID?: string }>;
}

const SEVERITY: Record<Health, number> = { passing: 0, warning: 1, critical: 2 };

/** Turns a /v1/health/service/zkv answer into members sorted by id; foreign entries are skipped. */
export function membersFromHealth(entries: readonly unknown[]): Member[] {
  const members: Member[] = [];
  for (const raw of entries) {
    const entry = raw as HealthEntry;
    const service = entry.Service;
    const meta = service?.Meta ?? {};
    const id = meta.node_id;
    if (!service || !id || typeof service.Port !== "number") continue;
    let health: Health = "passing";
    for (const check of entry.Checks ?? []) {
      const status = (check.Status ?? "critical") as Health;
      if ((SEVERITY[status] ?? 2) > SEVERITY[health]) health = status in SEVERITY ? status : "critical";
    }
    const weight = Number(meta.weight ?? "1");
    members.push({
      id,
      address: service.Address || entry.Node?.Address || "127.0.0.1",
      port: service.Port,
      weight: Number.isFinite(weight) && weight > 0 ? weight : 1,
      health,
      meta: { ...meta },
    });
  }
  return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A stable fingerprint of a membership view, so a watcher reports each real change once. */
export function membershipFingerprint(members: readonly Member[]): string {
  return JSON.stringify(members.map((m) => [m.id, m.address, m.port, m.weight, m.health, m.meta]));
}
