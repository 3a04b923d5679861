/** The small files of a scaffolded backend package: compiler, test runner and git settings. */

/** `tsconfig.json`: standalone (no repository base), strict, NodeNext, `src` → `dist` with declarations. */
export function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      types: ["node"],
      strict: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      forceConsistentCasingInFileNames: true,
      declaration: true,
      declarationMap: true,
      sourceMap: true,
      rootDir: "src",
      outDir: "dist",
    },
    include: ["src"],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** `vitest.config.ts`: the tests under `test/`. */
export function vitestConfig(): string {
  return `import { defineConfig } from "vitest/config";

export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
`;
}

/** `.gitignore`. */
export function gitignore(): string {
  return ["node_modules/", "dist/", "*.tsbuildinfo", "coverage/", ""].join("\n");
}

/** `test/conformance.test.ts`: the whole contract, from `@flowstate/backend-test-suite`. */
export function conformanceTest({ name, className }: { name: string; className: string }): string {
  return `// The contract every flowstate backend must meet: round trips, a new version per write,
// exact deletes, listing, scope isolation, refused references, byte-exact values, concurrency.
// Every backend create() returns must share one storage, like two workers pointed at one bucket.
// Add your backend's own cases in other files next to this one.
import { describeStateBackend } from "@flowstate/backend-test-suite";
import { ${className} } from "../src/index.js";

describeStateBackend(${JSON.stringify(name)}, {
  create: () => new ${className}({ namespace: "conformance" }),
});
`;
}
