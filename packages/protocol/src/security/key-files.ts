import { readFileSync } from "node:fs";
import { parseAllowList } from "./allow-list.js";
import { CurveKeyError, type CurveKeyPair, parseCurveKey, publicKeyOf } from "./curve-key.js";

/**
 * Where one key comes from: a file (flag or `*_FILE` variable) or the key itself in an
 * environment variable. Never a command-line argument: argv is world-readable in /proc.
 */
export interface KeySource {
  readonly file?: string | undefined;
  /** The key's Z85 text, from an environment variable. */
  readonly inline?: string | undefined;
  /** Named in errors: the flag or variable the key came from. */
  readonly label: string;
}

/** Reads a key from its file or variable; undefined when neither is set. A file wins. */
export function loadCurveKey(source: KeySource): string | undefined {
  if (source.file) return parseCurveKey(readText(source.file), source.file);
  if (source.inline) return parseCurveKey(source.inline, source.label);
  return undefined;
}

/**
 * This process's keypair from its secret key; undefined (CURVE off) when no secret key is set.
 * A public key file, when given, must match the secret key, so a mixed-up pair of files is
 * refused at start instead of producing handshakes that fail far away.
 */
export function loadCurveIdentity(secret: KeySource, publicKeyFile?: string): CurveKeyPair | undefined {
  const secretKey = loadCurveKey(secret);
  if (secretKey === undefined) {
    if (publicKeyFile) throw new CurveKeyError(publicKeyFile, "a public key file needs its secret key too");
    return undefined;
  }
  const publicKey = publicKeyOf(secretKey);
  if (publicKeyFile && parseCurveKey(readText(publicKeyFile), publicKeyFile) !== publicKey)
    throw new CurveKeyError(publicKeyFile, "does not belong to the secret key");
  return { publicKey, secretKey };
}

/** Reads an allow-list file (see parseAllowList). */
export function loadAllowListFile(file: string): Set<string> {
  return parseAllowList(readText(file), file);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new CurveKeyError(
      file,
      `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
