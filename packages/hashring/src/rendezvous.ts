import { EmptyPlacementError } from "./errors.js";
import { drawUnit, mix32, weightedScore } from "./hrw-score.js";
import type { NodeSpec, PlacementOptions } from "./placement.js";
import { TablePlacement } from "./table-placement.js";
import { checkPreferenceArgs } from "./validate.js";

/**
 * Weighted rendezvous (highest-random-weight) hashing, Thaler & Ravishankar, with the logarithmic
 * weighting of Schindelhauer & Schomaker: every node draws a score for the key, the highest wins
 * (ties: lower id). No virtual nodes, so balance is as good as the hash and weights are exact, at
 * the price of O(nodes) work per lookup; see `hrw-score.ts` for the exact arithmetic.
 *
 * When all weights are equal the score is monotone in the draw, so `locate` compares the raw
 * 32-bit mixes and skips the logarithm (and the second mix unless the first ties); the outcome is
 * the same as scoring in full.
 */
export class RendezvousHash extends TablePlacement<RendezvousHash> {
  readonly algorithm = "hrw" as const;
  private readonly seedsA: Int32Array;
  private readonly seedsB: Int32Array;
  private readonly uniform: boolean;

  /** `options.vnodes` is accepted (the options are shared with the ring) and ignored. */
  constructor(nodes: readonly NodeSpec[], options: PlacementOptions = {}) {
    super(nodes, options);
    this.uniform = this.table.uniform;
    this.seedsA = Int32Array.from(this.nodes, (id) => this.hash(id));
    this.seedsB = Int32Array.from(this.nodes, (id) => this.hash(`${id}\u0000`));
  }

  locate(key: string): string {
    const count = this.nodes.length;
    if (count === 0) throw new EmptyPlacementError();
    const k = this.hash(key) | 0;
    return this.nodes[this.uniform ? this.bestUniform(k, count) : this.bestWeighted(k, count)]!;
  }

  /** Equal weights: the largest draw wins, compared as (first mix, then second mix), lower index on a full tie. */
  private bestUniform(k: number, count: number): number {
    const seedsA = this.seedsA;
    let best = 0;
    let bestA = mix32(k ^ seedsA[0]!);
    let bestB = -1;
    for (let i = 1; i < count; i++) {
      const a = mix32(k ^ seedsA[i]!);
      if (a > bestA) {
        best = i;
        bestA = a;
        bestB = -1;
      } else if (a === bestA) {
        if (bestB < 0) bestB = mix32(k ^ this.seedsB[best]!) >>> 12;
        const b = mix32(k ^ this.seedsB[i]!) >>> 12;
        if (b > bestB) {
          best = i;
          bestB = b;
        }
      }
    }
    return best;
  }

  /** Unequal weights: the full logarithmic score, lower index on a tie. */
  private bestWeighted(k: number, count: number): number {
    const { seedsA, seedsB } = this;
    const weights = this.table.weights;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < count; i++) {
      const score = weightedScore(weights[i]!, drawUnit(k, seedsA[i]!, seedsB[i]!));
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  /** The full score of node `i`; for equal weights the draw itself (same order, no logarithm). */
  private score(k: number, i: number): number {
    const unit = drawUnit(k, this.seedsA[i]!, this.seedsB[i]!);
    return this.uniform ? unit : weightedScore(this.table.weights[i]!, unit);
  }

  /** Every node scored, sorted by score descending then id: O(nodes log nodes). */
  preferenceList(key: string, n: number): string[] {
    checkPreferenceArgs(this.nodes.length, n);
    const k = this.hash(key) | 0;
    const scores = Float64Array.from(this.nodes, (_, i) => this.score(k, i));
    const order = Array.from(this.nodes, (_, i) => i).sort((x, y) => scores[y]! - scores[x]! || x - y);
    return order.slice(0, Math.min(n, order.length)).map((i) => this.nodes[i]!);
  }

  protected rebuild(nodes: readonly NodeSpec[]): RendezvousHash {
    return new RendezvousHash(nodes, this.options);
  }
}
