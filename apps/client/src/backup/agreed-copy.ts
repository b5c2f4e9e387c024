import type { VersionedValue } from "../lib/requests/put-options.js";
import type { NodeCopy } from "../lib/requests/scan.js";

/**
 * The copy an export may write without asking the cluster again: every one of the key's replicas
 * listed it, at one and the same version. Then no replica holds anything newer (a newer write or a
 * deletion would have replaced some replica's copy), which is what a quorum read would find.
 * Undefined otherwise (a replica missing the key, replicas at different versions, a node that gave
 * no version): the export reads that key with a quorum read instead. Copies listed by nodes that
 * are not the key's replicas (a move caught mid-way) neither help nor hurt.
 */
export function agreedCopy(
  copies: readonly NodeCopy[],
  replicas: readonly string[],
): VersionedValue | undefined {
  let agreed: NodeCopy | undefined;
  for (const replica of replicas) {
    const copy = copies.find((c) => c.node === replica);
    if (copy?.version === undefined) return undefined;
    if (agreed !== undefined && copy.version !== agreed.version) return undefined;
    agreed = copy;
  }
  if (agreed?.version === undefined) return undefined;
  const { value, version, expiresAt } = agreed;
  return expiresAt === undefined ? { value, version } : { value, version, expiresAt };
}
