import { ErrorCode, ZkvError } from "@zkv/protocol";

/**
 * A write whose copies went out but too few replicas acknowledged it in time: not
 * NOT_ENOUGH_REPLICAS, since the write may still become visible.
 */
export function quorumTimeout(acked: number, needed: number, uncounted: number): ZkvError {
  const booting = uncounted > 0 ? ` (${uncounted} more are bootstrapping)` : "";
  return new ZkvError(
    ErrorCode.QUORUM_TIMEOUT,
    `only ${acked} of ${needed} replicas acknowledged the write in time${booting}`,
  );
}

export function notEnough(
  key: string,
  needed: number,
  serving: number,
  bootstrapping: readonly string[],
  what: "write" | "read",
): ZkvError {
  const shown = JSON.stringify(key).slice(0, 80);
  const booting = bootstrapping.length > 0 ? ` (${bootstrapping.join(", ")} bootstrapping)` : "";
  const tail = what === "write" ? "; nothing was written" : "";
  return new ZkvError(
    ErrorCode.NOT_ENOUGH_REPLICAS,
    `${what} of ${shown} needs ${needed} replicas, ${serving} reachable and serving${booting}${tail}`,
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
