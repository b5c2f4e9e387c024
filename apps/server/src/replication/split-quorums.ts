import { quorumTimeout } from "./replica-errors.js";
import type { WritePlan } from "./replicator-options.js";
import type { WriteQuorum } from "./write-quorums.js";

/** A write of the batch whose quorum is split: its slot for each placement, and whether it waits. */
export interface SplitWrite {
  readonly current: number;
  readonly next: number;
  readonly plan: WritePlan;
  readonly waits: boolean;
  /** Whether this node is a replica (its copy counting), in the current placement and in the next. */
  readonly selfCounts: readonly [number, number];
}

/**
 * The writes of one batch whose quorum is split between the current and the next placement
 * (during a rebalance, see planWrite): each becomes two slots of awaitWriteQuorums past the
 * batch's own, one per placement, fed by the acks of that placement's replicas only, and the
 * write holds once both slots do. The batch's other writes, and every write outside a
 * rebalance, keep their one slot and their typed arrays as they are.
 */
export class SplitQuorums {
  readonly #byWrite = new Map<number, SplitWrite>();
  readonly #needed: number[] = [];
  readonly #asked: number[] = [];

  constructor(private readonly batch: number) {}

  /** Write `i`, planned with a split, gets its two slots: how many acks each still needs, of how many asked. */
  add(i: number, plan: WritePlan, self: string): SplitWrite {
    const { current, next, w } = plan.split!;
    const slot = this.batch + this.#needed.length;
    const selfIn = (members: readonly string[]) => (members.includes(self) ? 1 : 0);
    const selfCounts = [selfIn(current), selfIn(next)] as const;
    this.#needed.push(w - selfCounts[0], w - selfCounts[1]);
    this.#asked.push(
      plan.up.filter((p) => current.includes(p)).length,
      plan.up.filter((p) => next.includes(p)).length,
    );
    const waits = w - selfCounts[0] > 0 || w - selfCounts[1] > 0;
    const split = { current: slot, next: slot + 1, plan, waits, selfCounts };
    this.#byWrite.set(i, split);
    return split;
  }

  /** Adds to `writes` (what one peer's message carries) the slots `peer`'s ack counts for. */
  carry(split: SplitWrite, peer: string, writes: number[]): void {
    const { current, next } = split.plan.split!;
    if (current.includes(peer)) writes.push(split.current);
    if (next.includes(peer)) writes.push(split.next);
  }

  /** The batch's slots and the split writes' after them, as awaitWriteQuorums takes them. */
  slots(needed: Int32Array, asked: Int32Array): { needed: Int32Array; asked: Int32Array } {
    if (this.#needed.length === 0) return { needed, asked };
    const all = (own: Int32Array, extra: number[]) => {
      const out = new Int32Array(own.length + extra.length);
      out.set(own);
      out.set(extra, own.length);
      return out;
    };
    return { needed: all(needed, this.#needed), asked: all(asked, this.#asked) };
  }

  /** Write `i`'s error when its quorum was split and one placement's slot did not hold; else undefined. */
  failure(i: number, quorums: readonly WriteQuorum[]) {
    const split = this.#byWrite.get(i);
    if (split === undefined) return undefined;
    const current = quorums[split.current]!;
    const next = quorums[split.next]!;
    if (current.ok && next.ok) return undefined;
    const short = current.ok ? next : current;
    const self = split.selfCounts[current.ok ? 1 : 0];
    return quorumTimeout(self + short.answered, split.plan.split!.w, "of each placement");
  }
}
