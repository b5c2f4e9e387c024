import { hash32 } from "./murmur3.js";
import { NodeTable } from "./node-table.js";
import type { HashingMode, NodeSpec, Placement, PlacementOptions } from "./placement.js";

/**
 * What both algorithms share: a validated, id-sorted NodeTable, the key hash, and the
 * immutable way to add or remove a node (build the next placement from the next table). Each
 * algorithm adds its own lookup structure and `locate` / `preferenceList`.
 */
export abstract class TablePlacement<Self extends Placement> implements Placement {
  abstract readonly algorithm: HashingMode;
  readonly nodes: readonly string[];
  protected readonly table: NodeTable;
  protected readonly hash: (key: string) => number;
  protected readonly options: PlacementOptions;

  constructor(nodes: readonly NodeSpec[], options: PlacementOptions) {
    this.options = options;
    this.hash = options.hash ?? hash32;
    this.table = new NodeTable(nodes);
    this.nodes = this.table.ids;
  }

  abstract locate(key: string): string;
  abstract preferenceList(key: string, n: number): string[];
  /** A placement of the same algorithm and options over `nodes`. */
  protected abstract rebuild(nodes: readonly NodeSpec[]): Self;

  weightOf(id: string): number {
    return this.table.weightOf(id);
  }

  withNode(node: NodeSpec): Self {
    return this.rebuild(this.table.adding(node));
  }

  withoutNode(id: string): Self {
    return this.rebuild(this.table.removing(id));
  }
}
