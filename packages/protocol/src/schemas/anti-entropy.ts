import { z } from "zod";
import { OptionalRequestIdSchema as id, KeySchema } from "./common.js";
import { VersionSchema } from "./replication.js";

/**
 * Anti-entropy (replication factor > 1): how two replicas find the keys they disagree on without
 * waiting for a read. Each node has, per range of keys (the keys that share one replica set), a
 * hash tree of fixed shape: a root, then AE_TREE_FANOUT children per node down to AE_TREE_LEAVES
 * leaves; a key's leaf comes from a hash of the key, and each node sums a digest of the key and
 * its version over the keys below it, and counts them. Two replicas compare roots, descend only
 * where they differ, list the keys of the differing leaves with their versions, and send each
 * other the newer copies.
 */

/** Children per tree node; node `i` of level `l` has children `i·FANOUT … i·FANOUT + FANOUT−1`. */
export const AE_TREE_FANOUT = 32;
/** Levels below the root: level 1 has FANOUT nodes, level DEPTH (the leaves) FANOUT^DEPTH. */
export const AE_TREE_DEPTH = 3;
/** Leaves per tree (32768): about 30 keys a leaf in a range of a million. */
export const AE_TREE_LEAVES = AE_TREE_FANOUT ** AE_TREE_DEPTH;

/** A node id, as placements carry it. */
const NodeIdSchema = z.string().min(1).max(128);

/** The placement epoch both sides must be at: ranges mean the same on both only then. */
const EpochSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** A range: the replica set its keys share, sorted (UTF-16 order), the answering node among them. */
export const RangeReplicasSchema = z.array(NodeIdSchema).min(1).max(64);

/**
 * A tree node's summary: its hash (two 32-bit digests of every key below it and its version,
 * summed, as 16 lowercase hex digits) and how many keys are below it. `["0000000000000000", 0]`
 * is an empty node.
 */
export const TreeNodeSchema = z.tuple([
  z.string().regex(/^[0-9a-f]{16}$/),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);

/** Node indices at `level`: each below FANOUT^level, at most a level's worth. */
const nodeIndices = (max: number) =>
  z
    .array(z.number().int().nonnegative().max(max))
    .min(1)
    .max(max + 1);

/**
 * AE_ROOTS: the roots of the answering node's non-empty ranges that `peer` also replicates, at
 * placement `epoch`. Reply: `AeRootsReply`.
 */
export const AeRootsRequestSchema = z.object({
  op: z.literal("AE_ROOTS"),
  epoch: EpochSchema,
  peer: NodeIdSchema,
  id,
});

export const AeRootsReplySchema = z.object({
  ranges: z.array(z.object({ replicas: RangeReplicasSchema, root: TreeNodeSchema })),
  id,
});

/**
 * AE_HASHES: the summaries of some nodes of one level (1 … DEPTH) of some ranges' trees. A node
 * may compute the leaves' level on demand, with one pass over its keys (see the protocol README).
 */
export const AeHashesRequestSchema = z.object({
  op: z.literal("AE_HASHES"),
  epoch: EpochSchema,
  ranges: z
    .array(
      z
        .object({
          replicas: RangeReplicasSchema,
          level: z.number().int().min(1).max(AE_TREE_DEPTH),
          nodes: nodeIndices(AE_TREE_LEAVES - 1),
        })
        .refine((r) => r.nodes.every((i) => i < AE_TREE_FANOUT ** r.level), {
          message: `a node index at level l must be below ${AE_TREE_FANOUT}^l`,
          path: ["nodes"],
        }),
    )
    .min(1)
    .max(1000),
  id,
});

/** One answer per requested range, in order: one summary per requested node, in order. */
export const AeHashesReplySchema = z.object({
  ranges: z.array(z.object({ nodes: z.array(TreeNodeSchema) })),
  id,
});

/**
 * AE_KEYS: every key (tombstones included) in some leaves of some ranges, with its version.
 * Reply: `AeKeysReply`; a node may answer fewer leaves than asked (whole leaves, at least one)
 * to keep the reply small: `leaves` names those it listed.
 */
export const AeKeysRequestSchema = z.object({
  op: z.literal("AE_KEYS"),
  epoch: EpochSchema,
  ranges: z
    .array(z.object({ replicas: RangeReplicasSchema, leaves: nodeIndices(AE_TREE_LEAVES - 1) }))
    .min(1)
    .max(1000),
  id,
});

/** One answer per requested range: the leaves listed, and their keys as `[key, version]`. */
export const AeKeysReplySchema = z.object({
  ranges: z.array(
    z.object({
      leaves: z.array(
        z
          .number()
          .int()
          .nonnegative()
          .max(AE_TREE_LEAVES - 1),
      ),
      entries: z.array(z.tuple([KeySchema, VersionSchema])),
    }),
  ),
  id,
});

/**
 * REPAIR (from an operator's client, `zkv repair`): the node compares every range it shares with
 * `peer` and both keep the newest copy of each key that differs. Bounded in time: `more` says
 * differences may remain, and the same request continues. Reply: `RepairReply`.
 */
export const RepairRequestSchema = z.object({ op: z.literal("REPAIR"), peer: NodeIdSchema, id });

const count = z.number().int().nonnegative();

/**
 * What one REPAIR did: ranges compared (non-empty on either side), keys found different, copies
 * applied (here, or sent to the peer and acknowledged), bytes exchanged with the peer (approximate,
 * JSON), and `more: true` when it stopped before the trees agreed.
 */
export const RepairReplySchema = z.object({
  node: z.string(),
  peer: z.string(),
  ranges: count,
  different: count,
  repaired: count,
  bytes: count,
  more: z.literal(true).optional(),
  id,
});

export type AeRootsRequest = z.infer<typeof AeRootsRequestSchema>;
export type AeRootsReply = z.infer<typeof AeRootsReplySchema>;
export type AeHashesRequest = z.infer<typeof AeHashesRequestSchema>;
export type AeHashesReply = z.infer<typeof AeHashesReplySchema>;
export type AeKeysRequest = z.infer<typeof AeKeysRequestSchema>;
export type AeKeysReply = z.infer<typeof AeKeysReplySchema>;
export type RepairRequest = z.infer<typeof RepairRequestSchema>;
export type RepairReply = z.infer<typeof RepairReplySchema>;
export type TreeNodeSummary = z.infer<typeof TreeNodeSchema>;
