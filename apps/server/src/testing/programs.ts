import { fileURLToPath } from "node:url";

const SOURCES = {
  server: fileURLToPath(new URL("../main.ts", import.meta.url)),
  client: fileURLToPath(new URL("../../../client/src/main.ts", import.meta.url)),
} as const;

const BUILT = { server: "ZKV_TEST_SERVER_MAIN", client: "ZKV_TEST_CLIENT_MAIN" } as const;

/**
 * The arguments after `node` that run `zkv-server` or `zkv`: the copy the test run compiled
 * (test-support/build-programs.ts names it in the environment; `pnpm nemesis` runs it too),
 * else its sources through tsx, as for the benches.
 */
export function programArgv(program: "server" | "client"): string[] {
  const built = process.env[BUILT[program]];
  return built ? [built] : ["--import", "tsx", SOURCES[program]];
}
