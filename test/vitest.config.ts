import { configDefaults, defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "e2e",
    include: ["**/*.test.ts"],
    // Packages the tests generate (scaffold/.generated) carry their own tests, run by the test that made them.
    exclude: [...configDefaults.exclude, "**/.generated/**"],
    testTimeout: 60_000,
  },
});
