import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["../../test-support/fast-check-setup.ts"],
    // Kills any Consul agent or process a test started and left behind.
    globalSetup: ["@zkv/membership/testing/global-setup", "../../test-support/build-programs.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
