import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "example-fs-state-backend", include: ["test/**/*.test.ts"] } });
