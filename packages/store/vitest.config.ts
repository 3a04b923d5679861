import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "store",
    include: ["test/**/*.test.ts"],
    // One throwaway PostgreSQL for the whole run (the dialect suite runs on SQLite and on it).
    globalSetup: ["test/global-setup.ts"],
    hookTimeout: 60_000,
  },
});
