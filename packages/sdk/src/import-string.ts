import { stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ImportStringError } from "@flowstate/shared-state";
import { moduleResolve } from "import-meta-resolve";
import { moduleNotFoundMessage } from "./module-not-found.js";

/** Options of {@link importString}. */
export interface ImportStringOptions {
  /**
   * Folder (as a path or a `file:` URL) to resolve the module from: packages are looked up in its
   * `node_modules` and the folders above, relative file paths are relative to it. A file (such as
   * `import.meta.url`) resolves from that file's position.
   * @default process.cwd()
   */
  from?: string | URL;
}

/** The module to import and the export to take from it. */
interface ImportPath {
  path: string;
  specifier: string;
  exportName: string;
}

/** Where resolution starts. */
interface ResolveFrom {
  folder: string;
  parentURL: string;
}

const FORM =
  "Write it as <module>.<ExportName>, e.g. my-package.MyBackend, @scope/package/sub.MyBackend or " +
  "./backends/mine.js.MyBackend (a file path must include its extension).";

/**
 * Airflow's `import_string` for npm: imports the export named after the LAST `.` of `path` from
 * the module named before it. The module is a package (`pkg`, `@scope/pkg`, `pkg/subpath` as its
 * `exports` allow) or a file path (`./backends/mine.js`, `/abs/mine.mjs`) that includes its
 * extension — so `./backends/mine.js.MyBackend` is export `MyBackend` of `./backends/mine.js`.
 * It resolves from `options.from`, not from where this package is installed, so a plugin added
 * to the operator's project loads even under pnpm's strict `node_modules`.
 * @returns the export's value (`default` is an export like any other).
 * @throws ImportStringError with `reason` `invalid-path`, `module-not-found`,
 *   `export-not-found` or `module-threw` (the module's own error is the `cause`).
 */
export async function importString(path: string, options: ImportStringOptions = {}): Promise<unknown> {
  const target = splitImportPath(path);
  const from = await resolveFrom(target, options.from);
  const url = await resolveModule(target, from);
  const namespace = await importModule(target, url);
  if (!Object.keys(namespace).includes(target.exportName)) {
    const exports = Object.keys(namespace).sort().join(", ") || "none";
    throw new ImportStringError(
      `Module '${target.specifier}' (${url}) has no export named '${target.exportName}' (class path '${path}'). Its exports: ${exports}.`,
      path,
      "export-not-found",
    );
  }
  return namespace[target.exportName];
}

function splitImportPath(path: unknown): ImportPath {
  const invalid = (problem: string) =>
    new ImportStringError(
      `Invalid class path ${JSON.stringify(path)}: ${problem}. ${FORM}`,
      String(path),
      "invalid-path",
    );
  if (typeof path !== "string")
    throw invalid(`expected a string, got ${path === null ? "null" : typeof path}`);
  if (/\s/.test(path)) throw invalid("it contains whitespace");
  // `data:` would run code written in the config itself, `http:` code from the network, `node:`
  // names no backend: a class path names an installed package or a file, nothing else.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(path)?.[1];
  if (scheme !== undefined && !/^[a-z]$/i.test(scheme)) {
    throw invalid(`'${scheme}:' URLs are not accepted; name an installed package or a file path`);
  }
  const dot = path.lastIndexOf(".");
  if (dot < 0) throw invalid("it has no '.' between the module and the export name");
  const specifier = path.slice(0, dot);
  const exportName = path.slice(dot + 1);
  if (!specifier) throw invalid("the module before the last '.' is empty");
  if (!exportName) throw invalid("the export name after the last '.' is empty");
  if (exportName.includes("/"))
    throw invalid(`the export name after the last '.' ('${exportName}') contains '/'`);
  return { path, specifier, exportName };
}

async function resolveFrom(target: ImportPath, from: string | URL = process.cwd()): Promise<ResolveFrom> {
  let location: string;
  try {
    location = from instanceof URL || from.startsWith("file:") ? fileURLToPath(from) : resolvePath(from);
  } catch (error) {
    throw new ImportStringError(
      `Cannot import '${target.path}': the \`from\` option ${String(from)} is neither a folder path nor a file: URL.`,
      target.path,
      "invalid-path",
      { cause: error },
    );
  }
  const isFile = await stat(location).then(
    (stats) => stats.isFile(),
    () => false,
  );
  const folder = isFile ? dirname(location) : location;
  // The folder's own URL with a trailing '/', so that its node_modules are searched: resolution
  // errors then name the folder, never a made-up file inside it.
  const parentURL = isFile ? pathToFileURL(location).href : pathToFileURL(join(location, "/")).href;
  return { folder, parentURL };
}

function isFilePath(specifier: string): boolean {
  return /^\.\.?(\/|$)/.test(specifier) || isAbsolute(specifier);
}

async function resolveModule(target: ImportPath, from: ResolveFrom): Promise<string> {
  const { specifier } = target;
  // File paths become file: URLs here, so that characters such as '#' or '%' stay part of the name.
  const request = isFilePath(specifier) ? pathToFileURL(resolvePath(from.folder, specifier)).href : specifier;
  try {
    // moduleResolve, not resolve: like import.meta.resolve, resolve() returns a missing file's URL.
    return moduleResolve(request, new URL(from.parentURL)).href;
  } catch (error) {
    const message = await moduleNotFoundMessage(target, from.folder, error, isFilePath(specifier));
    throw new ImportStringError(message, target.path, "module-not-found", { cause: error });
  }
}

async function importModule(target: ImportPath, url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ImportStringError(
      `Module '${target.specifier}' (${url}) for class path '${target.path}' threw while loading: ${why}. Fix the module or the packages it imports.`,
      target.path,
      "module-threw",
      { cause: error },
    );
  }
}

/**
 * The `file:` URL of the module `path` names, resolved exactly as {@link importString} resolves
 * it, without importing it: `flowstate backend check` reports the file a class came from.
 * @throws ImportStringError with `reason` `invalid-path` or `module-not-found`.
 */
export async function resolveImportString(path: string, options: ImportStringOptions = {}): Promise<string> {
  const target = splitImportPath(path);
  return resolveModule(target, await resolveFrom(target, options.from));
}
