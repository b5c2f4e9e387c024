import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Records a child pid in the run's pid directory (set up by the vitest global setup), so the
 * global teardown kills it even if the test that started it crashed. No-op outside such a run.
 */
export function trackPid(pid: number | undefined): void {
  const dir = process.env.ZKV_TEST_PID_DIR;
  if (dir && pid) writeFileSync(join(dir, String(pid)), "");
}

/** Forgets a pid once its process has exited. */
export function untrackPid(pid: number | undefined): void {
  const dir = process.env.ZKV_TEST_PID_DIR;
  if (dir && pid) {
    rmSync(join(dir, String(pid)), { force: true });
    rmSync(join(dir, `g${pid}`), { force: true });
  }
}

/**
 * Records a process group (a child spawned with `detached: true`, e.g. a cluster launcher and
 * its node processes), so the teardown kills the whole group even if the leader died first.
 */
export function trackProcessGroup(pgid: number | undefined): void {
  const dir = process.env.ZKV_TEST_PID_DIR;
  if (dir && pgid) writeFileSync(join(dir, `g${pgid}`), "");
}
