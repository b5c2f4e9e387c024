import { CURVE_KEY_META, type Member } from "@zkv/membership";
import { type CurveKeyPair, parseCurveKey } from "@zkv/protocol";

/** A client's CURVE configuration: its keypair, and in static mode the nodes' public key. */
export interface ClientCurve {
  readonly identity: CurveKeyPair;
  /** Static clusters only: the nodes' public key (Consul clusters publish it per node). */
  readonly serverKey?: string;
}

/** How to talk to one node: CURVE with its key, plaintext, or not at all (and why). */
export type NodeSecurity =
  | { readonly kind: "curve"; readonly identity: CurveKeyPair; readonly serverKey: string }
  | { readonly kind: "plaintext" }
  | { readonly kind: "refused"; readonly reason: string };

/**
 * Decides how to reach `member`. The node's public key comes from its Consul meta
 * (`curve_public_key`), else from the static configuration. A client with CURVE configured never
 * falls back to plaintext for a node that publishes no key (that would hand its data to whoever
 * registered that node); a client without a key fails at once for a node that requires one,
 * instead of timing out on a handshake that cannot succeed.
 */
export function nodeSecurity(member: Member, curve: ClientCurve | undefined): NodeSecurity {
  const published = member.meta[CURVE_KEY_META];
  let serverKey: string | undefined;
  try {
    serverKey = published === undefined ? curve?.serverKey : parseCurveKey(published, "meta");
  } catch {
    return { kind: "refused", reason: `node ${member.id} publishes a malformed CURVE key` };
  }
  if (serverKey === undefined && curve === undefined) return { kind: "plaintext" };
  if (curve === undefined)
    return {
      kind: "refused",
      reason: `node ${member.id} requires CURVE: give this client a key (ZKV_CURVE_SECRET_KEY_FILE)`,
    };
  if (serverKey === undefined)
    return {
      kind: "refused",
      reason: `node ${member.id} publishes no CURVE key; a CURVE client does not fall back to plaintext`,
    };
  return { kind: "curve", identity: curve.identity, serverKey };
}
