import { spawnSync } from "node:child_process";
import { ROOT } from "./run-command.js";

/** EX_UNAVAILABLE from scripts/docker-images.sh: no engine (or no stand-in) can be had here. */
const UNAVAILABLE = 69;

/** `docker compose` (v2 plugin) where installed, else `docker-compose` (v1), else undefined. */
export function composeCommand(): string[] | undefined {
  for (const candidate of [["docker", "compose"], ["docker-compose"]]) {
    const probe = spawnSync(candidate[0]!, [...candidate.slice(1), "version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Makes sure an engine answers and holds the base images (scripts/docker-images.sh: pulls, or
 * builds local stand-ins; starts dockerd as root). Resolves to why the compose tests cannot run
 * here, or undefined when they can. A failure other than "cannot be had here" throws.
 */
export function dockerUnavailable(): string | undefined {
  const cli = composeCommand();
  if (!cli) return "no compose implementation (neither the docker compose plugin nor docker-compose)";
  const images = spawnSync("bash", [`${ROOT}scripts/docker-images.sh`], { encoding: "utf8" });
  process.stderr.write(images.stderr);
  if (images.status === UNAVAILABLE) {
    const reason = images.stderr.trim().split("\n").at(-1) ?? "";
    return reason.replace(/^docker-images: error: /, "");
  }
  if (images.status !== 0)
    throw new Error(`scripts/docker-images.sh failed (${images.status}):\n${images.stderr}`);
  return undefined;
}
