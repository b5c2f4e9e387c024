import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The pid of a running process whose command line matches `pattern` and that is stopped. */
export function stoppedProcess(pattern: string): number | false {
  const { stdout } = spawnSync("pgrep", ["-f", pattern], { encoding: "utf8" });
  return (
    stdout
      .split("\n")
      .map(Number)
      .find((p) => p > 0 && isStopped(p)) ?? false
  );
}

/** True once the process is stopped (state T in /proc). */
function isStopped(pid: number): boolean {
  return /^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
}
