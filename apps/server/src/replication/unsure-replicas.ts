import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { PeerBatcher } from "./peer-batcher.js";
import type { PeerStates } from "./quorum.js";

/**
 * Replicas a coordinator thinks are bootstrapping while they may be serving already. What it
 * thinks comes from Consul's meta, which its watch learns a moment after the replica says so
 * (right after a launch, every replica at once), or from the replica's last answer, which a
 * refused write never sends anything to correct. Before such a refusal stands, the coordinator
 * asks them: their answer says, and the peer links remember it.
 */
export class UnsureReplicas {
  constructor(
    private readonly self: string,
    private readonly peers: PeerStates,
    private readonly batcher: Pick<PeerBatcher, "read">,
  ) {}

  /** Those of `replicas` (this node aside) that are up but thought to be bootstrapping. */
  among(replicas: readonly string[]): string[] {
    return replicas.filter((p) => p !== this.self && this.peers.isUp(p) && !this.peers.isServing(p));
  }

  /** Whether `err` is a refusal (NOT_ENOUGH_REPLICAS) that an unsure one of `replicas` took part in. */
  refusedFor(err: unknown, replicas: readonly string[]): boolean {
    return (
      err instanceof ZkvError && err.code === ErrorCode.NOT_ENOUGH_REPLICAS && this.among(replicas).length > 0
    );
  }

  /**
   * Asks each unsure replica of the `writes`' keys for its copy of one of them (a read: nothing
   * changes there); resolves true when one answers that it serves.
   */
  async ask(
    writes: ReadonlyArray<{ readonly key: string }>,
    replicasOf: (key: string) => readonly string[],
  ): Promise<boolean> {
    const asks = new Map<string, string>();
    for (const { key } of writes)
      for (const p of this.among(replicasOf(key))) if (!asks.has(p)) asks.set(p, key);
    const answers = await Promise.allSettled([...asks].map(([p, key]) => this.batcher.read(p, key)));
    return answers.some((a) => a.status === "fulfilled" && a.value.counts);
  }
}
