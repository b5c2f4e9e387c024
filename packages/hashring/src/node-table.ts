import { DuplicateNodeError, InvalidNodeError, InvalidWeightError, UnknownNodeError } from "./errors.js";
import type { NodeSpec } from "./placement.js";

/** A validated node: id plus explicit weight. */
export interface NodeEntry {
  readonly id: string;
  readonly weight: number;
}

/** Orders ids by UTF-16 code units: locale-free, so every process and platform sorts alike. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Validates one spec; a bare string means weight 1. */
function toEntry(spec: NodeSpec): NodeEntry {
  const id = typeof spec === "string" ? spec : spec?.id;
  if (typeof id !== "string" || id.length === 0) throw new InvalidNodeError(id);
  const weight = typeof spec === "string" ? 1 : (spec.weight ?? 1);
  if (typeof weight !== "number" || !Number.isFinite(weight) || weight <= 0) {
    throw new InvalidWeightError(id, weight);
  }
  return { id, weight };
}

/**
 * The validated, id-sorted membership both algorithms are built from. Sorting by id here is what
 * makes placement independent of the order nodes were listed in: index `i` always means the i-th
 * smallest id, and "lower index wins a tie" means "lower id wins".
 */
export class NodeTable {
  readonly entries: readonly NodeEntry[];
  readonly ids: readonly string[];
  readonly weights: Float64Array;
  private readonly index: Map<string, number>;

  constructor(specs: readonly NodeSpec[]) {
    const entries = specs.map(toEntry).sort((a, b) => compareIds(a.id, b.id));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.id === entries[i - 1]!.id) throw new DuplicateNodeError(entries[i]!.id);
    }
    this.entries = Object.freeze(entries);
    this.ids = Object.freeze(entries.map((e) => e.id));
    this.weights = Float64Array.from(entries, (e) => e.weight);
    this.index = new Map(entries.map((e, i) => [e.id, i]));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The node's weight; throws `UnknownNodeError`. */
  weightOf(id: string): number {
    const i = this.index.get(id);
    if (i === undefined) throw new UnknownNodeError(id);
    return this.weights[i]!;
  }

  /** True when every weight is equal, which lets HRW skip its logarithms. */
  get uniform(): boolean {
    return this.weights.every((w) => w === this.weights[0]);
  }

  /** The specs of a membership with `node` added; throws `DuplicateNodeError`. */
  adding(node: NodeSpec): NodeEntry[] {
    const entry = toEntry(node);
    if (this.index.has(entry.id)) throw new DuplicateNodeError(entry.id);
    return [...this.entries, entry];
  }

  /** The specs of a membership with `id` removed; throws `UnknownNodeError`. */
  removing(id: string): NodeEntry[] {
    if (!this.index.has(id)) throw new UnknownNodeError(id);
    return this.entries.filter((e) => e.id !== id);
  }
}
