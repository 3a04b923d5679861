import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "shared-state", include: ["test/**/*.test.ts"] } });
