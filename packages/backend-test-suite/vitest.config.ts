import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "backend-test-suite", include: ["test/**/*.test.ts"] } });
