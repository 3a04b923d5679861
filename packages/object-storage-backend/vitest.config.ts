import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "object-storage-backend", include: ["test/**/*.test.ts"] } });
