import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["@zkv/membership/testing/global-setup", "../../test-support/build-programs.ts"],
    // FC_SEED / FC_NUM_RUNS replay and lengthen the property tests, as in every package.
    setupFiles: ["../../test-support/fast-check-setup.ts"],
    // End-to-end files each run a real Consul and a cluster of node processes: one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
