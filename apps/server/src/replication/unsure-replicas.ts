import { ErrorCode, ZkvError } from "@zkv/protocol";
import type { PeerBatcher } from "./peer-batcher.js";
import type { PeerStates } from "./quorum.js";

/**
 * Replicas a coordinator thinks are bootstrapping while they may be serving already. What it
 * thinks comes from Consul's meta, which its watch learns a moment after the replica says so
 * (right after a launch, every replica at once), or from the replica's last answer, which a
 * refused read never sends anything to correct. Before such a refusal of a read stands, the
 * coordinator asks them: their answer says, and the peer links remember it. (A write counts a
 * bootstrapping replica's ack, so no write is refused for want of a serving one.)
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
   * Asks each unsure one of `key`'s `replicas` for its copy of it (a read: nothing changes
   * there); resolves true when one answers that it serves.
   */
  async ask(key: string, replicas: readonly string[]): Promise<boolean> {
    const answers = await Promise.allSettled(this.among(replicas).map((p) => this.batcher.read(p, key)));
    return answers.some((a) => a.status === "fulfilled" && a.value.counts);
  }
}
