import { defineConfig } from "vitest/config";

// One run for the whole repository: every package, example and the cross-package tests is a
// project with its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: [
      "packages/*/vitest.config.ts",
      "examples/**/vitest.config.ts",
      "test/vitest.config.ts",
      "bench/vitest.config.ts",
    ],
  },
});
