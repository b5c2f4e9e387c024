import { type Command, Option } from "commander";
import type { CurveKeyPair } from "../security/curve-key.js";
import { loadCurveIdentity, loadCurveKey } from "../security/key-files.js";

/**
 * The CURVE flags of both programs, as commander parses them: file paths only, never key
 * material, because argv is readable by every user in /proc. Each flag has an environment
 * variable of the same meaning (the flag's name in capitals, ZKV_ first); the two keys that
 * secret stores inject may also be given themselves, in ZKV_CURVE_SECRET_KEY and
 * ZKV_CURVE_SERVER_KEY.
 */
export interface CurveFlags {
  /** Both: this process's secret key; CURVE is on when it is set. */
  curveSecretKeyFile?: string;
  /** Node: the matching public key, checked against the secret key. */
  curvePublicKeyFile?: string;
  /** Node: client public keys to admit, one a line. */
  curveAllowedClientsFile?: string;
  /** Client of a static cluster: the nodes' public key (a Consul cluster publishes its own). */
  curveServerKeyFile?: string;
}

/** Which side of a CURVE handshake a program is: `zkv` is a client, `zkv-server` runs nodes. */
export type CurveRole = "client" | "node";

const flag = (name: string, description: string, variable: string) =>
  new Option(name, description).env(variable);

/** Adds the CURVE flags of `role` to a program. */
export function addCurveOptions(program: Command, role: CurveRole): Command {
  if (role === "client") {
    return program
      .addOption(
        flag(
          "--curve-secret-key-file <file>",
          "talk CURVE with this client's secret key (Z85, from `zkv keygen`)",
          "ZKV_CURVE_SECRET_KEY_FILE",
        ),
      )
      .addOption(
        flag(
          "--curve-server-key-file <file>",
          "static cluster with CURVE: the nodes' public key (Consul clusters publish their own)",
          "ZKV_CURVE_SERVER_KEY_FILE",
        ),
      );
  }
  return program
    .addOption(
      flag(
        "--curve-secret-key-file <file>",
        "enable CURVE: this node's secret key (Z85, from `zkv keygen`)",
        "ZKV_CURVE_SECRET_KEY_FILE",
      ),
    )
    .addOption(
      flag(
        "--curve-public-key-file <file>",
        "optional: the matching public key, checked against the secret key",
        "ZKV_CURVE_PUBLIC_KEY_FILE",
      ),
    )
    .addOption(
      flag(
        "--curve-allowed-clients-file <file>",
        "client public keys to admit, one a line (plus Consul KV zkv/curve/allowed-clients)",
        "ZKV_CURVE_ALLOWED_CLIENTS_FILE",
      ),
    );
}

/**
 * This process's CURVE keypair from its flags or ZKV_CURVE_SECRET_KEY; undefined (plaintext)
 * without a secret key. Throws CurveKeyError for a key that is unreadable, malformed, or whose
 * public key file does not match.
 */
export function curveIdentityFromFlags(
  flags: CurveFlags,
  env: NodeJS.ProcessEnv = process.env,
): CurveKeyPair | undefined {
  return loadCurveIdentity(
    { file: flags.curveSecretKeyFile, inline: env.ZKV_CURVE_SECRET_KEY, label: "ZKV_CURVE_SECRET_KEY" },
    flags.curvePublicKeyFile,
  );
}

/** A static cluster's node public key from --curve-server-key-file or ZKV_CURVE_SERVER_KEY, if given. */
export function curveServerKeyFromFlags(
  flags: CurveFlags,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return loadCurveKey({
    file: flags.curveServerKeyFile,
    inline: env.ZKV_CURVE_SERVER_KEY,
    label: "ZKV_CURVE_SERVER_KEY",
  });
}
