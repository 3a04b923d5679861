import { VERSION } from "../version.js";

/**
 * The versions a scaffolded package depends on, as caret ranges of what this repository builds
 * and tests with. The flowstate packages are released together, so they share the CLI's version.
 * `packages/cli/test/backend.test.ts` fails when these drift from the repository's package.json.
 */
export const SCAFFOLD_VERSIONS = {
  flowstate: VERSION,
  typescript: "5.9.3",
  vitest: "4.1.12",
  typesNode: "20.19.43",
  /** The `engines.node` range of the repository. */
  node: ">=20.11",
} as const;
