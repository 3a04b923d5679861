import { SCAFFOLD_VERSIONS } from "../versions.js";
import type { BackendTemplateInput } from "./input.js";

/** `package.json`: an ESM package exporting the built class, with the contract as a peer dependency. */
export function packageJson({ name, className }: BackendTemplateInput): string {
  const v = SCAFFOLD_VERSIONS;
  const flowstate = `^${v.flowstate}`;
  const manifest = {
    name,
    version: "0.1.0",
    description: `A flowstate worker state backend: ${name}.${className}.`,
    keywords: ["flowstate", "flowstate-backend", "airflow", "state-backend"],
    type: "module",
    exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    files: ["dist"],
    engines: { node: v.node },
    scripts: {
      build: "tsc -p tsconfig.json",
      test: "vitest run",
      prepublishOnly: "npm run build && npm test",
    },
    peerDependencies: { "@flowstate/shared-state": flowstate },
    devDependencies: {
      "@flowstate/backend-test-suite": flowstate,
      "@flowstate/shared-state": flowstate,
      "@types/node": `^${v.typesNode}`,
      typescript: `^${v.typescript}`,
      vitest: `^${v.vitest}`,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
