import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-s3",
    include: ["test/**/*.test.ts"],
    // One s3rver (and one moto, where installed) for the whole run, started and stopped here.
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-credentials.ts"],
    // 20 MB multipart uploads on a 2-core machine: bounds a hang, not a speed.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // The AWS SDK warns once per process that it will drop Node 20 in 2027: noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", AWS_EC2_METADATA_DISABLED: "true" },
  },
});
