import { z } from "zod";
import { parseKvRecord } from "./kv-json.js";

/** The KV key holding the desired membership: who owns keys, and any add/remove in progress. */
export const PLACEMENT_KEY = "zkv/placement";

const DesiredNodeSchema = z.object({
  id: z.string().min(1),
  weight: z.number().positive(),
  /** Where a launcher starts the node: the host it binds and the port it listens on. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535),
});

const TransitionSchema = z.object({
  kind: z.enum(["add", "remove"]),
  node: z.string().min(1),
  /** The run currently moving data; a resumed rebalance writes its own. */
  run: z.string().min(1),
  next: z.array(DesiredNodeSchema).min(1),
  startedAt: z.string(),
  /**
   * `joining`: an added node is starting; nothing moves yet and the nodes keep routing by
   * `members`, so no key is sent to a node clients cannot reach. `moving` (or absent, as records
   * before this field say): data is moving towards `next`.
   */
  phase: z.enum(["joining", "moving"]).optional(),
});

/** The last add or remove the record completed: a re-run of its command finishes its clean-up. */
const CompletedSchema = z.object({
  kind: z.enum(["add", "remove"]),
  node: z.string().min(1),
  run: z.string().min(1),
  /** Set once its clean-up (nodes told, extra replicas trimmed) is done too. */
  finished: z.boolean().optional(),
});

const PlacementRecordSchema = z.object({
  version: z.literal(1),
  /** Bumped by every completed add or remove. */
  epoch: z.number().int().nonnegative(),
  members: z.array(DesiredNodeSchema).min(1),
  transition: TransitionSchema.optional(),
  completed: CompletedSchema.optional(),
});

/** A node the cluster wants, and where it runs. */
export type DesiredNode = z.infer<typeof DesiredNodeSchema>;
/** An add-node or remove-node in progress. */
export type Transition = z.infer<typeof TransitionSchema>;
/** The change a record's latest epoch completed. */
export type CompletedChange = z.infer<typeof CompletedSchema>;

/** True while data moves towards the transition's `next` (not while an added node is joining). */
export function isMoving(t: Transition | undefined): t is Transition {
  return t !== undefined && t.phase !== "joining";
}

/**
 * The desired membership. Keys are placed by `members` (ids and weights), never by who happens
 * to be registered and healthy: a node that is down keeps its keys. While `transition` is set,
 * data is moving towards `transition.next`, and `members` stays the placement clients route by
 * until the move is complete; then `next` becomes `members` in one write.
 */
export type PlacementRecord = z.infer<typeof PlacementRecordSchema>;

/** Parses the stored JSON; InvalidSettingError when it is not a placement record. */
export function parsePlacementRecord(raw: string): PlacementRecord {
  return parseKvRecord(PLACEMENT_KEY, raw, PlacementRecordSchema, "placement record");
}

/**
 * The placement of a cluster that never added or removed a node: node-0 … node-(size-1), weight
 * 1, on base-port + i. Every party derives the same one from `cluster_size`, so the record only
 * has to be written once the membership changes.
 */
export function initialPlacement(size: number, host = "127.0.0.1", basePort = 2000): PlacementRecord {
  return {
    version: 1,
    epoch: 0,
    members: Array.from({ length: size }, (_, i) => ({
      id: `node-${i}`,
      weight: 1,
      host,
      port: basePort + i,
    })),
  };
}

/** Every node the record wants running: the members, plus a node being added. */
export function desiredNodes(record: PlacementRecord): DesiredNode[] {
  const byId = new Map(record.members.map((m) => [m.id, m]));
  for (const n of record.transition?.next ?? []) if (!byId.has(n.id)) byId.set(n.id, n);
  return [...byId.values()];
}
