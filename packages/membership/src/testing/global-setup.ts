import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * vitest globalSetup: gives the run a directory where every test agent/process records its pid,
 * and on teardown SIGKILLs whatever is still listed, so a failed or crashed test never leaves a
 * Consul agent or node process behind. Use as `globalSetup: ["@zkv/membership/testing/global-setup"]`
 * or re-export `default` from a local file.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "zkv-test-pids-"));
  process.env.ZKV_TEST_PID_DIR = dir;
  return () => {
    for (const name of readdirSync(dir)) {
      // "123" is a process, "g123" a process group (killed as -123).
      const group = name.startsWith("g");
      const pid = Number(group ? name.slice(1) : name);
      try {
        if (Number.isInteger(pid) && pid > 0) process.kill(group ? -pid : pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
