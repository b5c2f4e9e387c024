import { PlacementTooLargeError } from "./errors.js";
import type { NodeTable } from "./node-table.js";

/**
 * The ring's token table: positions on the 32-bit circle and the node owning each, built so the
 * result depends only on the set of (id, weight) pairs, never on insertion order.
 */

/**
 * Most nodes a ring holds: owners are stored as 16-bit indices (a 256-node ring at the default
 * vnodes is 1.5 MiB instead of 2 MiB), and packed below the token in one exact float64 sort key.
 */
export const MAX_RING_NODES = 2 ** 16;
/** Upper bound on tokens, so a typo'd weight cannot allocate gigabytes (16.7M tokens ≈ 128 MB to build). */
export const MAX_TOKENS = 2 ** 24;

/** Sorted tokens and, at the same index, the index (into the id-sorted node table) of their owner. */
export interface TokenTable {
  readonly tokens: Uint32Array;
  readonly owners: Uint16Array;
}

/**
 * The string hashed to place virtual node `i` of node `id`: `<id length>:<id>:<i>`. The length
 * prefix makes the label decodable, so labels of different (id, i) pairs can never be equal:
 * `node-1` vnode 11 is `6:node-1:11`, `node-11` vnode 1 is `7:node-11:1`.
 */
export function vnodeLabel(id: string, i: number): string {
  return `${id.length}:${id}:${i}`;
}

/**
 * Virtual nodes of a node: `vnodes` per unit of weight, rounded, at least one. Labels 0..k-1 are
 * a prefix of the labels for any larger weight, so raising a weight only adds tokens.
 */
export function tokenCount(weight: number, vnodes: number): number {
  return Math.max(1, Math.round(weight * vnodes));
}

/**
 * Hashes every virtual-node label and sorts the tokens. When two labels hash to the same token,
 * the token goes to the node with the lower id (the other copy is dropped), so collisions resolve
 * the same way whatever order the nodes arrived in.
 */
export function buildTokens(table: NodeTable, vnodes: number, hash: (key: string) => number): TokenTable {
  if (table.size > MAX_RING_NODES) {
    throw new PlacementTooLargeError(`${table.size} nodes exceed the ring's limit of ${MAX_RING_NODES}`);
  }
  let total = 0;
  for (const weight of table.weights) total += tokenCount(weight, vnodes);
  if (total > MAX_TOKENS) {
    throw new PlacementTooLargeError(
      `${total} virtual nodes exceed ${MAX_TOKENS}; weights are relative, scale them down`,
    );
  }
  const packed = new Float64Array(total);
  let j = 0;
  table.ids.forEach((id, owner) => {
    const count = tokenCount(table.weights[owner]!, vnodes);
    for (let i = 0; i < count; i++) packed[j++] = (hash(vnodeLabel(id, i)) >>> 0) * MAX_RING_NODES + owner;
  });
  packed.sort();
  const tokens = new Uint32Array(total);
  const owners = new Uint16Array(total);
  let n = 0;
  for (const p of packed) {
    const token = Math.floor(p / MAX_RING_NODES);
    if (n > 0 && tokens[n - 1] === token) continue;
    tokens[n] = token;
    owners[n] = p - token * MAX_RING_NODES;
    n++;
  }
  if (n === total) return { tokens, owners };
  return { tokens: tokens.slice(0, n), owners: owners.slice(0, n) };
}
