import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The Consul version scripts/consul.sh builds, and the cache it keeps it in. */
export const CONSUL_VERSION = "1.14.11";

/** No consul binary could be found: tests that need one cannot run. */
export class ConsulBinaryNotFoundError extends Error {
  readonly code = "CONSUL_BINARY_NOT_FOUND";
  constructor(tried: string[]) {
    super(
      `no consul binary found (tried ${tried.join(", ")}). Run scripts/consul.sh (it builds Consul ${CONSUL_VERSION} ` +
        "from the Go module proxy) or set ZKV_CONSUL_BIN to a consul binary.",
    );
    this.name = "ConsulBinaryNotFoundError";
  }
}

function runs(bin: string): boolean {
  try {
    return execFileSync(bin, ["version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).startsWith("Consul v");
  } catch {
    return false;
  }
}

/** Finds consul the way scripts/consul.sh provisions it: ZKV_CONSUL_BIN, the build cache, then PATH. */
export function findConsulBinary(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const candidates = [
    env.ZKV_CONSUL_BIN,
    join(cacheHome, "zkv", `consul-${CONSUL_VERSION}`, "consul"),
    "consul",
  ].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    if ((candidate === "consul" || existsSync(candidate)) && runs(candidate)) return candidate;
  }
  throw new ConsulBinaryNotFoundError(candidates);
}
