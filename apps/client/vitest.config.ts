import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["@zkv/membership/testing/global-setup"],
    // End-to-end files each run a real Consul and a cluster of node processes: one at a time on 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
