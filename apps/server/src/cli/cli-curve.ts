import { type CurveKeyPair, loadCurveIdentity } from "@zkv/protocol";
import { type Command, Option } from "commander";
import type { NodeCurveOptions } from "../security/curve-guard.js";

/** CURVE flags as commander parses them: file paths only, never key material. */
export interface CurveFlags {
  curveSecretKeyFile?: string;
  curvePublicKeyFile?: string;
  curveAllowedClientsFile?: string;
}

/**
 * Adds the CURVE flags. Each has an environment variable of the same meaning, and the secret key
 * may also be given itself in ZKV_CURVE_SECRET_KEY (for secret stores that inject variables);
 * a key is never accepted as an argument, because argv is readable by every user in /proc.
 */
export function addCurveOptions(program: Command): Command {
  return program
    .addOption(
      new Option(
        "--curve-secret-key-file <file>",
        "enable CURVE: this node's secret key (Z85, from `zkv keygen`)",
      ).env("ZKV_CURVE_SECRET_KEY_FILE"),
    )
    .addOption(
      new Option(
        "--curve-public-key-file <file>",
        "optional: the matching public key, checked against the secret key",
      ).env("ZKV_CURVE_PUBLIC_KEY_FILE"),
    )
    .addOption(
      new Option(
        "--curve-allowed-clients-file <file>",
        "client public keys to admit, one a line (plus Consul KV zkv/curve/allowed-clients)",
      ).env("ZKV_CURVE_ALLOWED_CLIENTS_FILE"),
    );
}

/** The node's CURVE options, or undefined (plaintext) when no secret key is configured. */
export function curveFromFlags(
  flags: CurveFlags,
  env: NodeJS.ProcessEnv = process.env,
): NodeCurveOptions | undefined {
  const identity: CurveKeyPair | undefined = loadCurveIdentity(
    { file: flags.curveSecretKeyFile, inline: env.ZKV_CURVE_SECRET_KEY, label: "ZKV_CURVE_SECRET_KEY" },
    flags.curvePublicKeyFile,
  );
  if (!identity) {
    if (flags.curveAllowedClientsFile)
      throw new Error("--curve-allowed-clients-file needs CURVE on (--curve-secret-key-file)");
    return undefined;
  }
  return {
    identity,
    ...(flags.curveAllowedClientsFile ? { allowedClientsFile: flags.curveAllowedClientsFile } : {}),
  };
}

/** The flags to hand a launched node, so it gets the launcher's CURVE files (paths only). */
export function curveNodeArgs(flags: CurveFlags): string[] {
  const args: string[] = [];
  if (flags.curveSecretKeyFile) args.push("--curve-secret-key-file", flags.curveSecretKeyFile);
  if (flags.curvePublicKeyFile) args.push("--curve-public-key-file", flags.curvePublicKeyFile);
  if (flags.curveAllowedClientsFile) args.push("--curve-allowed-clients-file", flags.curveAllowedClientsFile);
  return args;
}
