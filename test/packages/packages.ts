// The packages flowstate publishes, read from disk: every non-private `packages/*`, plus the
// example plugin, which is checked as the template a backend author copies and publishes.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support.js";

/** What the tests read from a package.json. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { type?: string; url?: string; directory?: string };
  engines?: Record<string, string>;
  publishConfig?: { access?: string };
  exports?: unknown;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A package that is (or shows how to be) published. */
export interface PublicPackage {
  /** Folder relative to the repository root, e.g. `packages/sdk`. */
  dir: string;
  /** Absolute folder. */
  path: string;
  manifest: Manifest;
}

/** The example plugin: private so the release never publishes it, but shaped like a plugin that is. */
const TEMPLATE_PLUGIN = "examples/custom-backend/fs-state-backend";

function readPackage(dir: string): PublicPackage {
  const path = join(repoRoot, dir);
  return { dir, path, manifest: JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as Manifest };
}

/** Every public package, plus the template plugin. */
export const publicPackages: PublicPackage[] = [
  ...readdirSync(join(repoRoot, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => readPackage(`packages/${entry.name}`))
    .filter((pkg) => pkg.manifest.private !== true),
  readPackage(TEMPLATE_PLUGIN),
];

/** True for a `@flowstate/*` or other package of this repository. */
export function isWorkspacePackage(name: string): boolean {
  return name.startsWith("@flowstate/") || name === "flowstate-backend-fs";
}

/** Output of a finished child process. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without a shell; a non-zero exit is a result, not a throw. */
export function exec(
  cmd: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** `node scripts/pnpm.mjs …`: the pinned pnpm, as the README's commands run it. */
export function pnpm(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  return exec(process.execPath, [join(repoRoot, "scripts", "pnpm.mjs"), ...args], options);
}

/** The files `npm pack` would put in the package's tarball (paths relative to the package). */
export async function packedFiles(pkg: PublicPackage): Promise<string[]> {
  const result = await exec("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: pkg.path });
  if (result.code !== 0) throw new Error(`npm pack failed in ${pkg.dir}: ${result.stderr}`);
  const [report] = JSON.parse(result.stdout) as [{ files: { path: string }[] }];
  return report.files.map((file) => file.path).sort();
}
