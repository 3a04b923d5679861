/**
 * What an operator's project has installed and how it installs packages, read from the folders
 * at and above the folder a class path resolves from. Used only to word "not installed" errors,
 * so every read failure just means "nothing there".
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

/** Package names a project can import, found at and above a folder. */
export interface ProjectPackages {
  /** Folder names in every `node_modules` (with `@scope/name`), i.e. what resolution can find. */
  installed: Set<string>;
  /** Names in the `dependencies` (and dev, optional, peer) of every `package.json`. */
  declared: Set<string>;
}

/** The project's package manager and the folder its lockfile or `packageManager` field is in. */
export interface PackageManager {
  name: "npm" | "pnpm" | "yarn" | "bun";
  /** The command that adds one package: `pnpm add`, `npm install`, `yarn add`, `bun add`. */
  add: string;
  /** The command that installs what package.json lists: `pnpm install`, `npm install`, … */
  installAll: string;
  /** Where it was detected; `undefined` when nothing was found and npm is assumed. */
  detectedIn: string | undefined;
}

const COMMANDS = {
  npm: { add: "npm install", installAll: "npm install" },
  pnpm: { add: "pnpm add", installAll: "pnpm install" },
  yarn: { add: "yarn add", installAll: "yarn install" },
  bun: { add: "bun add", installAll: "bun install" },
} as const;

// In order of precedence when one folder holds several (a half-migrated project).
const LOCKFILES: ReadonlyArray<[string, PackageManager["name"]]> = [
  ["pnpm-lock.yaml", "pnpm"],
  ["pnpm-workspace.yaml", "pnpm"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
];

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

/** `folder` and every folder above it, nearest first. */
export function foldersUpFrom(folder: string): string[] {
  const folders: string[] = [];
  for (let current = resolve(folder); ; current = dirname(current)) {
    folders.push(current);
    if (dirname(current) === current) return folders;
  }
}

/** Every package installed in or declared by the projects at and above `folder`. */
export async function projectPackages(folder: string): Promise<ProjectPackages> {
  const installed = new Set<string>();
  const declared = new Set<string>();
  for (const dir of foldersUpFrom(folder)) {
    for (const name of await nodeModulesNames(join(dir, "node_modules"))) installed.add(name);
    const manifest = await readManifest(dir);
    for (const field of DEPENDENCY_FIELDS) {
      const deps = manifest?.[field];
      if (typeof deps === "object" && deps !== null) for (const name of Object.keys(deps)) declared.add(name);
    }
  }
  return { installed, declared };
}

/**
 * The package manager of the project at or above `folder`: in the nearest folder that has one, the
 * `packageManager` field of package.json (`"pnpm@9.0.0"`), else its lockfile (`pnpm-lock.yaml`,
 * `package-lock.json`, `yarn.lock`, `bun.lock(b)`). None anywhere: npm, which every Node has.
 */
export async function detectPackageManager(folder: string): Promise<PackageManager> {
  for (const dir of foldersUpFrom(folder)) {
    const field = (await readManifest(dir))?.packageManager;
    const named = typeof field === "string" ? /^(npm|pnpm|yarn|bun)@/.exec(field)?.[1] : undefined;
    if (named) return manager(named as PackageManager["name"], dir);
    for (const [file, name] of LOCKFILES) if (await exists(join(dir, file))) return manager(name, dir);
  }
  return manager("npm", undefined);
}

/** The nearest folder at or above `folder` with a package.json: where a package is added. */
export async function nearestProjectFolder(folder: string): Promise<string | undefined> {
  for (const dir of foldersUpFrom(folder)) if (await exists(join(dir, "package.json"))) return dir;
  return undefined;
}

function manager(name: PackageManager["name"], detectedIn: string | undefined): PackageManager {
  return { name, ...COMMANDS[name], detectedIn };
}

/** `name` and `@scope/name` for every package folder (or pnpm symlink) in `nodeModules`. */
async function nodeModulesNames(nodeModules: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await list(nodeModules)) {
    if (entry.startsWith(".")) continue; // .bin, .pnpm, .package-lock.json
    if (!entry.startsWith("@")) names.push(entry);
    else for (const inner of await list(join(nodeModules, entry))) names.push(`${entry}/${inner}`);
  }
  return names;
}

async function list(folder: string): Promise<string[]> {
  return readdir(folder).catch(() => []);
}

async function readManifest(folder: string): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(folder, "package.json"), "utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // no package.json, or one being written: nothing to learn from it
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
