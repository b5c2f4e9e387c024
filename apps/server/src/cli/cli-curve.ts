import { type CurveFlags, curveIdentityFromFlags } from "@zkv/protocol/cli";
import type { NodeCurveOptions } from "../security/curve-guard.js";

/**
 * The node's CURVE options from its flags (see @zkv/protocol/cli's addCurveOptions), or
 * undefined (plaintext) when no secret key is configured.
 */
export function curveFromFlags(
  flags: CurveFlags,
  env: NodeJS.ProcessEnv = process.env,
): NodeCurveOptions | undefined {
  const identity = curveIdentityFromFlags(flags, env);
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
