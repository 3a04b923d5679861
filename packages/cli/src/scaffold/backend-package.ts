import { mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { backendSource } from "./templates/backend-source.js";
import { conformanceTest, gitignore, tsconfigJson, vitestConfig } from "./templates/config-files.js";
import type { BackendTemplateInput } from "./templates/input.js";
import { packageJson } from "./templates/package-json.js";
import { readme } from "./templates/readme.js";

export type { BackendTemplateInput } from "./templates/input.js";

/** The files of a backend package, by path relative to its folder, in the order they are listed. */
export function backendPackageFiles(input: BackendTemplateInput): Array<[path: string, text: string]> {
  return [
    ["package.json", packageJson(input)],
    ["tsconfig.json", tsconfigJson()],
    ["vitest.config.ts", vitestConfig()],
    ["src/index.ts", backendSource(input)],
    ["test/conformance.test.ts", conformanceTest(input)],
    ["README.md", readme(input)],
    [".gitignore", gitignore()],
  ];
}

/** Why `dir` cannot take a new package (it is a file, or a folder with something in it), or `undefined`. */
export async function folderProblem(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isDirectory()) return "it exists and is not a folder";
  const entries = await readdir(dir);
  return entries.length === 0 ? undefined : `it is not empty (${entries.length} entries)`;
}

/**
 * Writes the package's files into `dir` (made when missing). The caller checks
 * {@link folderProblem} first; a file that appeared meanwhile is never written over (EEXIST).
 * @returns the paths written, relative to `dir`.
 */
export async function writeBackendPackage(dir: string, input: BackendTemplateInput): Promise<string[]> {
  const files = backendPackageFiles(input);
  for (const [path, text] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text, { flag: "wx" }); // never over a file made meanwhile
  }
  return files.map(([path]) => path);
}
