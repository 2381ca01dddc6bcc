import { defineConfig } from "vitest/config";

// Tests never depend on the machine's zone: UTC unless QOPS_TEST_TZ names another (CI runs the
// date-sensitive files under Pacific/Auckland too).
process.env.TZ = process.env.QOPS_TEST_TZ ?? "UTC";

export default defineConfig({
  test: {
    globalSetup: ["test/helpers/globalSetup.ts"],
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { TZ: process.env.TZ },
  },
});
