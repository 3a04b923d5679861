// The backend author guide's skeleton is a whole backend: extracted from the README as written,
// it must pass the conformance suite every plugin author runs.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeStateBackend } from "@flowstate/backend-test-suite";
import type { StateBackend } from "@flowstate/shared-state";
import { repoRoot } from "../support.js";

const readme = await readFile(join(repoRoot, "README.md"), "utf8");
const guide = readme.slice(readme.indexOf("## Backend author guide"));
const skeleton = /```ts\n([\s\S]*?)```/.exec(guide)?.[1];
if (!skeleton?.includes("class MyStateBackend"))
  throw new Error("README: the backend skeleton was not found");

// Written next to this file (git-ignored) so that `@flowstate/shared-state` resolves as a plugin's would.
const generated = join(repoRoot, "test", "readme", ".generated");
await mkdir(generated, { recursive: true });
await writeFile(join(generated, "my-state-backend.ts"), skeleton);
const { MyStateBackend } = (await import(join(generated, "my-state-backend.ts"))) as {
  MyStateBackend: new () => StateBackend;
};

describeStateBackend("README backend skeleton", {
  create: () => new MyStateBackend(),
  largeValueBytes: 1024 * 1024,
});
