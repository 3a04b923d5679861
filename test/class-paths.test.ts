// Every backend class path written in the README, the package READMEs and the examples' configs
// must resolve to a real exported backend class: a wrong path in the docs is a bug.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { importString } from "@flowstate/sdk";
import { stateBackendClassProblem } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support.js";

/** Placeholders the guides use on purpose; they name no real package. */
const PLACEHOLDERS = new Set([
  "your-plugin.YourBackend",
  "my-plugin.MyStateBackend",
  "./backends/mine.js.MyBackend",
]);
/** Misspelt on purpose, to show the load error. */
const DELIBERATELY_WRONG = new Set(["flowstate-backend-fz.FileSystemStateBackend"]);
/** Where an operator would have the plugins installed: this test package, and the example operator project. */
const RESOLVE_FROM = [
  join(repoRoot, "test"),
  join(repoRoot, "examples", "custom-backend", "operator-project"),
];

const CLASS_PATH =
  /(?:\.{1,2}\/)?(?:@[a-z0-9-]+\/)?[a-z0-9][a-z0-9.-]*(?:\/[a-z0-9.-]+)*\.[A-Z][A-Za-z0-9]*Backend\b/g;

async function documents(): Promise<string[]> {
  const files = [join(repoRoot, "README.md")];
  for (const group of ["packages", "examples", join("examples", "custom-backend")]) {
    for (const entry of await readdir(join(repoRoot, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      for (const name of ["README.md", "airflow.cfg"]) files.push(join(repoRoot, group, entry.name, name));
    }
  }
  return files;
}

async function classPathsInDocs(): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  for (const file of await documents()) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const match of text.matchAll(CLASS_PATH)) {
      if (!PLACEHOLDERS.has(match[0]) && !DELIBERATELY_WRONG.has(match[0])) {
        found.push([match[0], relative(repoRoot, file)]);
      }
    }
  }
  return found;
}

async function resolveAnywhere(classPath: string): Promise<unknown> {
  let lastError: unknown;
  for (const from of RESOLVE_FROM) {
    try {
      return await importString(classPath, { from });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

describe("class paths in the docs and examples", async () => {
  const paths = await classPathsInDocs();

  it("finds the ones the README promises", () => {
    const names = new Set(paths.map(([path]) => path));
    expect(names).toContain("@flowstate/backend-memory.MemoryStateBackend");
    expect(names).toContain("@flowstate/backend-s3.S3StateBackend");
    expect(names).toContain("@flowstate/backend-gcs.GcsStateBackend");
    expect(names).toContain("flowstate-backend-fs.FileSystemStateBackend");
  });

  it.each(paths)("%s (in %s) is an exported state backend class", async (classPath) => {
    expect(stateBackendClassProblem(await resolveAnywhere(classPath))).toBeUndefined();
  });

  it("the deliberately misspelt path really does not resolve", async () => {
    for (const path of DELIBERATELY_WRONG) {
      await expect(resolveAnywhere(path)).rejects.toMatchObject({ reason: "module-not-found" });
    }
  });
});
