import { createPrivateKey, createPublicKey } from "node:crypto";
import { z85Decode, z85Encode } from "./z85.js";

/** Length of a CURVE key in Z85 text (32 bytes). */
export const CURVE_KEY_LENGTH = 40;

/** A CURVE keypair in Z85, as zeromq.js socket options take it. */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

/**
 * A CURVE key or key file zkv cannot use: the process must not start (or the update is ignored)
 * rather than run with security silently off. `source` names the file, variable or Consul key.
 */
export class CurveKeyError extends Error {
  readonly code = "INVALID_CURVE_KEY";
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`${source}: ${reason}`);
    this.name = "CurveKeyError";
  }
}

/**
 * Checks one Z85 key (surrounding whitespace ignored, as files end with a newline) and returns it
 * trimmed. Only 40 characters that decode to 32 bytes pass, so a secret key pasted into a public
 * key's place, a truncated copy, or a hex key is refused here, not by a handshake that never ends.
 */
export function parseCurveKey(text: string, source: string): string {
  const key = text.trim();
  if (key.length !== CURVE_KEY_LENGTH)
    throw new CurveKeyError(
      source,
      `expected a ${CURVE_KEY_LENGTH}-character Z85 key, got ${key.length} characters`,
    );
  if (z85Decode(key) === undefined) throw new CurveKeyError(source, "not a Z85 key (bad character)");
  return key;
}

/** DER prefix of a PKCS#8 X25519 private key; the 32 raw key bytes follow it. */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/**
 * The public key that belongs to a CURVE secret key (X25519, as libzmq's crypto_box), so a
 * process is configured with its secret key alone and can never announce a public key that does
 * not match it.
 */
export function publicKeyOf(secretKey: string): string {
  const raw = z85Decode(parseCurveKey(secretKey, "secret key"))!;
  const der = Buffer.concat([X25519_PKCS8_PREFIX, raw]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({
    format: "der",
    type: "spki",
  });
  return z85Encode(spki.subarray(spki.length - 32));
}

/** The Z85 form of a raw 32-byte key, as a ZAP request carries it. */
export function curveKeyToZ85(raw: Uint8Array): string | undefined {
  return raw.length === 32 ? z85Encode(raw) : undefined;
}
