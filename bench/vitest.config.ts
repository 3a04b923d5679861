import { defineProject } from "vitest/config";

// The bench's own code (the RESULTS.md renderer), not the benchmarks: those are `pnpm bench`.
export default defineProject({ test: { name: "bench", include: ["test/**/*.test.ts"] } });
