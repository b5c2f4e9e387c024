import { execFileSync } from "node:child_process";
import { rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * vitest globalSetup: compiles `zkv-server` and `zkv` once for the test run (scripts/build-cli.mjs,
 * esbuild, about a second) into each package's .test-programs/<pid>/, and names them to the tests'
 * process helpers in ZKV_TEST_SERVER_MAIN and ZKV_TEST_CLIENT_MAIN (@zkv/server/testing's
 * programArgv). A program started from its sources through tsx spends ~0.6 s more CPU compiling
 * before it runs, and the end-to-end suites start hundreds of nodes and CLIs on 2 cores. The
 * programs are the ones users install (e2e-installed-cli.test.ts runs that build), and a test run
 * no longer picks up sources edited while it runs. Removed on teardown.
 */
export default function setup(): () => void {
  const dir = `.test-programs/${process.pid}`;
  try {
    execFileSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), "--dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`could not build the zkv programs for the tests:\n${stderr}`);
  }
  const built = [join(ROOT, "apps/server", dir), join(ROOT, "apps/client", dir)];
  process.env.ZKV_TEST_SERVER_MAIN = join(built[0]!, "zkv-server.mjs");
  process.env.ZKV_TEST_CLIENT_MAIN = join(built[1]!, "zkv.mjs");
  return () => {
    for (const path of built) {
      rmSync(path, { recursive: true, force: true });
      try {
        rmdirSync(dirname(path)); // .test-programs, unless another run still uses it
      } catch {
        // not empty
      }
    }
  };
}
