import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-gcs",
    include: ["test/**/*.test.ts"],
    // One firebase Storage emulator for the whole run, started and stopped here.
    globalSetup: ["test/global-setup.ts"],
    // 12 MB resumable uploads on a 2-core machine: bounds a hang, not a speed.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
