import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./src/testing/global-setup.ts"],
    setupFiles: ["../../test-support/fast-check-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
