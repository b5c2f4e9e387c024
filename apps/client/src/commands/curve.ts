import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CurveFlags, curveIdentityFromFlags, curveServerKeyFromFlags } from "@zkv/protocol/cli";
import type { Command } from "commander";
import { curveKeyPair } from "zeromq";
import type { ClientCurve } from "../lib/cluster/security.js";
import { out } from "./output.js";

/**
 * The client's CURVE configuration from its flags (see @zkv/protocol/cli), or from
 * ZKV_CURVE_SECRET_KEY and ZKV_CURVE_SERVER_KEY holding the keys themselves; undefined
 * (plaintext) without a secret key.
 */
export function curveFromFlags(
  flags: CurveFlags,
  env: NodeJS.ProcessEnv = process.env,
): ClientCurve | undefined {
  const identity = curveIdentityFromFlags(flags, env);
  if (!identity) return undefined;
  const serverKey = curveServerKeyFromFlags(flags, env);
  return serverKey === undefined ? { identity } : { identity, serverKey };
}

/**
 * `zkv keygen --out DIR [--name NAME]`: writes NAME.key (the secret key, mode 0600) and NAME.pub
 * (the public key) and prints the public key, which goes on nodes' allow-lists (for a client)
 * or to static clients (for a node). Existing files are never overwritten: losing a node's
 * secret key silently would lock out every client that trusts it.
 */
export function registerKeygen(program: Command): void {
  program
    .command("keygen")
    .description("write a new CURVE keypair: <name>.key (secret, 0600) and <name>.pub")
    .requiredOption("--out <dir>", "directory to write the keys to (created if missing, mode 0700)")
    .option("--name <name>", "file name stem", "zkv")
    .action((o: { out: string; name: string }) => {
      const pair = curveKeyPair();
      const secretFile = join(o.out, `${o.name}.key`);
      const publicFile = join(o.out, `${o.name}.pub`);
      for (const f of [secretFile, publicFile])
        if (existsSync(f)) throw new Error(`${f} exists; not overwriting a key`);
      mkdirSync(o.out, { recursive: true, mode: 0o700 });
      writeFileSync(secretFile, `${pair.secretKey}\n`, { mode: 0o600, flag: "wx" });
      writeFileSync(publicFile, `${pair.publicKey}\n`, { mode: 0o644, flag: "wx" });
      out(pair.publicKey);
    });
}
