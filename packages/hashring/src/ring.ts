import { EmptyPlacementError, InvalidArgumentError } from "./errors.js";
import type { NodeSpec, PlacementOptions } from "./placement.js";
import { TablePlacement } from "./table-placement.js";
import { TokenIndex } from "./token-index.js";
import { buildTokens } from "./tokens.js";
import { checkPreferenceArgs } from "./validate.js";

/**
 * Virtual nodes per unit of weight. Chosen by measurement (`pnpm bench`, table in the README):
 * a node's share of the ring varies by about 1/sqrt(vnodes), so with 10 nodes the busiest one
 * carries ~1 + 1.5/sqrt(vnodes) of the mean. 1024 is the smallest power of two whose p90 over
 * random 10-node clusters stays under the 1.10 target (256 averages 1.10; 512 has p90 1.11).
 * The price: ~7 bytes per token with the lookup index (~1.7 MiB for 256 nodes) and ~60 ms to
 * build a 256-node ring.
 */
export const DEFAULT_VNODES = 1024;

/**
 * A stretch of the ring owned by one node: every key whose hash is in `[start, end)` belongs to
 * `node`. Positions are on the 32-bit circle, `end` at most 2^32.
 */
export interface RingArc {
  readonly start: number;
  readonly end: number;
  readonly node: string;
}

/**
 * Consistent hashing (Karger et al.) on a 32-bit ring with weighted virtual nodes. A key belongs
 * to the first token at or after its hash, wrapping past 2^32 - 1 to the first token. Adding a
 * node only takes keys for itself; removing one only hands its keys to its ring successors.
 *
 * Lookups cost one hash plus a search of a sorted `Uint32Array` narrowed by a bucket index to
 * about one probe, so they barely slow down as the cluster grows; that is why the ring is the
 * default for large clusters.
 */
export class ConsistentHashRing extends TablePlacement<ConsistentHashRing> {
  readonly algorithm = "ring" as const;
  /** Virtual nodes per unit of weight this ring was built with. */
  readonly vnodes: number;
  private readonly tokens: Uint32Array;
  private readonly index: TokenIndex;
  private readonly owners: Uint16Array;

  constructor(nodes: readonly NodeSpec[], options: PlacementOptions = {}) {
    const vnodes = options.vnodes ?? DEFAULT_VNODES;
    if (!Number.isInteger(vnodes) || vnodes < 1) {
      throw new InvalidArgumentError(`vnodes must be a positive integer, got ${vnodes}`);
    }
    super(nodes, options);
    this.vnodes = vnodes;
    const { tokens, owners } = buildTokens(this.table, vnodes, this.hash);
    this.tokens = tokens;
    this.owners = owners;
    this.index = new TokenIndex(tokens);
  }

  /** Number of distinct tokens on the ring (after collisions); exposed for tests and capacity planning. */
  get tokenCount(): number {
    return this.tokens.length;
  }

  locate(key: string): string {
    if (this.tokens.length === 0) throw new EmptyPlacementError();
    const at = this.index.successor(this.hash(key) >>> 0);
    return this.nodes[this.owners[at]!]!;
  }

  /** Walks clockwise from the key's token, collecting owners not seen yet (Dynamo's replica set). */
  preferenceList(key: string, n: number): string[] {
    checkPreferenceArgs(this.nodes.length, n);
    const want = Math.min(n, this.nodes.length);
    const result: string[] = [];
    const seen = new Uint8Array(this.nodes.length);
    const count = this.tokens.length;
    let at = this.index.successor(this.hash(key) >>> 0);
    for (let step = 0; result.length < want && step < count; step++) {
      const owner = this.owners[at]!;
      if (seen[owner] === 0) {
        seen[owner] = 1;
        result.push(this.nodes[owner]!);
      }
      at = at + 1 === count ? 0 : at + 1;
    }
    // A node whose every token lost a collision owns nothing, but still belongs in a full list.
    for (let owner = 0; result.length < want; owner++) {
      if (seen[owner] === 0) result.push(this.nodes[owner]!);
    }
    return result;
  }

  /**
   * The ring cut into arcs by owner, clockwise from 0, consecutive tokens of one node merged: what
   * a picture of the ring draws. A key hashing to h belongs to the first token >= h, so the arc
   * ending at a token (inclusive) is that token's owner's; the stretch past the last token wraps
   * to the first token's owner. Adjacent arcs share their boundary and together cover [0, 2^32).
   */
  arcs(): RingArc[] {
    const arcs: RingArc[] = [];
    const count = this.tokens.length;
    let start = 0;
    for (let i = 0; count > 0 && i <= count; i++) {
      // Index `count` is the wrapped stretch (last token, 2^32), owned like the first token.
      const end = i === count ? 2 ** 32 : this.tokens[i]! + 1;
      if (end <= start) continue; // the last token is 2^32 - 1: nothing wraps
      const node = this.nodes[this.owners[i === count ? 0 : i]!]!;
      const last = arcs[arcs.length - 1];
      if (last?.node === node) arcs[arcs.length - 1] = { start: last.start, end, node };
      else arcs.push({ start, end, node });
      start = end;
    }
    return arcs;
  }

  protected rebuild(nodes: readonly NodeSpec[]): ConsistentHashRing {
    return new ConsistentHashRing(nodes, this.options);
  }
}
