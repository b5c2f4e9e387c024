import { ErrorCode, ZkvError } from "@zkv/protocol";

/**
 * A write whose copies went out but too few replicas acknowledged it in time: not
 * NOT_ENOUGH_REPLICAS, since the write may still become visible.
 */
export function quorumTimeout(acked: number, needed: number, among?: string): ZkvError {
  const of = among === undefined ? "" : ` ${among}`;
  return new ZkvError(
    ErrorCode.QUORUM_TIMEOUT,
    `only ${acked} of ${needed} replicas${of} acknowledged the write in time`,
  );
}

export function notEnough(
  key: string,
  needed: number,
  /** Replicas that would count: for a read, reachable and serving; for a write, reachable. */
  counted: number,
  bootstrapping: readonly string[],
  what: "write" | "read",
  /** Whose replicas `needed` counts, when not the key's as one set. */
  among?: string,
): ZkvError {
  const shown = JSON.stringify(key).slice(0, 80);
  const booting = bootstrapping.length > 0 ? ` (${bootstrapping.join(", ")} bootstrapping)` : "";
  const tail = what === "write" ? "; nothing was written" : "";
  const of = among === undefined ? "" : ` ${among}`;
  const which = what === "write" ? "reachable" : "reachable and serving";
  return new ZkvError(
    ErrorCode.NOT_ENOUGH_REPLICAS,
    `${what} of ${shown} needs ${needed} replicas${of}, ${counted} ${which}${booting}${tail}`,
  );
}

/** A write reached a node that does not replicate its key (its view moved on): try the owner. */
export function notAReplica(key: string, replicas: readonly string[]): ZkvError {
  const shown = JSON.stringify(key).slice(0, 80);
  const owner = replicas[0];
  return new ZkvError(
    ErrorCode.WRONG_NODE,
    `${shown} belongs to ${replicas.join(", ")}; nothing was written`,
    owner === undefined ? {} : { owner },
  );
}
