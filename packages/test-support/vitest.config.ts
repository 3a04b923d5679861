import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "test-support",
    include: ["test/**/*.test.ts"],
    // Starting a server process takes well under a second; this bounds a hung start, not speed.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The AWS SDK warns once per process that it will drop Node 20 in 2027: noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
